import { Injectable } from '@nestjs/common';
import { SiloError } from '@silo/domain';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NodeAgentConfig } from '../config/node-agent.config';

/** A failure of `silo-runtime` or `silo-monitor`, with what it printed. */
export class RuntimeCommandError extends SiloError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('INTERNAL', `${command}: ${stderr.trim().split('\n').slice(-3).join('; ') || `exit code ${exitCode}`}`);
  }
}

export interface ContainerFiles {
  bundle: string;
  logFile: string;
  exitFile: string;
  monitorPidFile: string;
  /** The cgroup file with the `oom_kill` counter. */
  oomFile?: string;
  logMaxBytes?: number;
  logMaxFiles?: number;
}

export interface RuntimeState {
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid: number;
  bundle: string;
}

export interface ExecOptions {
  env?: Record<string, string>;
  user?: string;
  cwd?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const MAX_EXEC_OUTPUT = 1024 * 1024;

/**
 * The native runtime, seen from the agent: `silo-monitor` starts a container and stays with it;
 * `silo-runtime` kills, deletes, inspects and execs (runc's command line, see native/INTERFACE.md).
 */
@Injectable()
export class ContainerRuntime {
  readonly runtimePath: string;
  readonly monitorPath: string;
  readonly root: string;

  constructor(config: NodeAgentConfig) {
    this.runtimePath = config.runtimeBinary;
    this.monitorPath = join(dirname(config.runtimeBinary), 'silo-monitor');
    this.root = join(config.agentHome, 'runtime');
  }

  /** Starts the container under its monitor; resolves with the container's pid once it runs. */
  async start(id: string, files: ContainerFiles): Promise<number> {
    const args = [
      '--runtime', this.runtimePath,
      '--runtime-root', this.root,
      '--bundle', files.bundle,
      '--id', id,
      '--log-file', files.logFile,
      '--exit-file', files.exitFile,
      '--pid-file', files.monitorPidFile,
      ...(files.oomFile ? ['--oom-file', files.oomFile] : []),
      ...(files.logMaxBytes ? ['--log-max-bytes', String(files.logMaxBytes)] : []),
      ...(files.logMaxFiles ? ['--log-max-files', String(files.logMaxFiles)] : []),
    ];
    const { stdout } = await this.run(this.monitorPath, args, 60_000);
    const pid = Number.parseInt(stdout.trim().split('\n').pop() ?? '', 10);
    if (!Number.isInteger(pid) || pid <= 0) throw new RuntimeCommandError('silo-monitor', 0, `printed no container pid (${stdout.trim()})`);
    return pid;
  }

  async kill(id: string, signal: 'TERM' | 'KILL' | string = 'TERM', all = false): Promise<void> {
    await this.run(this.runtimePath, ['--root', this.root, 'kill', ...(all ? ['--all'] : []), id, signal], 10_000);
  }

  /** Whether the runtime holds state for ID (a container or a leftover of one). */
  hasState(id: string): boolean {
    return existsSync(join(this.root, id));
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(this.runtimePath, ['--root', this.root, 'delete', ...(force ? ['--force'] : []), id], 30_000);
  }

  /** The runtime's view of a container, or undefined when it does not know it. */
  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      const { stdout } = await this.run(this.runtimePath, ['--root', this.root, 'state', id], 10_000);
      return JSON.parse(stdout) as RuntimeState;
    } catch (err) {
      if (err instanceof RuntimeCommandError && /does not exist|not found|no such/i.test(err.stderr)) return undefined;
      throw err;
    }
  }

  /** Runs a command inside a running container and collects its output. */
  exec(id: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const args = ['--root', this.root, 'exec'];
    for (const [key, value] of Object.entries(options.env ?? {})) args.push('--env', `${key}=${value}`);
    if (options.user) args.push('--user', options.user);
    if (options.cwd) args.push('--cwd', options.cwd);
    args.push(id, ...command);
    return new Promise((resolve, reject) => {
      const child = spawn(this.runtimePath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdout.length < MAX_EXEC_OUTPUT) stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_EXEC_OUTPUT) stderr += chunk.toString();
      });
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs)
        : undefined;
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new RuntimeCommandError('silo-runtime exec', null, err.message));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? 128 + signalNumber(signal), stdout, stderr, timedOut });
      });
    });
  }

  /** An idmapped bind mount of SRC at DST (hardened containers' read-only layers). */
  async idmapMount(source: string, target: string, hostId: number, size: number): Promise<void> {
    const map = `0:${hostId}:${size}`;
    await this.run(this.runtimePath, ['idmap-mount', '--uid-map', map, '--gid-map', map, source, target], 10_000);
  }

  async version(): Promise<string> {
    const { stdout } = await this.run(this.runtimePath, ['--version'], 5_000);
    return stdout.trim();
  }

  private run(file: string, args: string[], timeout: number): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(file, args, { timeout, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as NodeJS.ErrnoException).code as unknown as number) : null;
          reject(new RuntimeCommandError(`${file.split('/').pop()} ${args.find((a) => !a.startsWith('-') && a !== this.root && a !== this.runtimePath) ?? ''}`.trim(), code, stderr || err.message));
          return;
        }
        resolve({ stdout, stderr });
      });
    });
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (SIGNALS[signal] ?? 0) : 0;
}
