import { Injectable } from '@nestjs/common';
import { SiloError } from '@silo/domain';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
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
/** How much of the runtime's stderr an interactive exec keeps to explain a failure. */
const STDERR_TAIL = 4096;
/** After `kill`, how long the runtime has to kill the process and exit before it is killed itself. */
const KILL_GRACE_MS = 5000;
/** After the runtime exited, how long its output pipes may stay open (a process it left behind). */
const OUTPUT_DRAIN_MS = 2000;

export interface InteractiveExecOptions {
  env?: Record<string, string>;
  user?: string;
  cwd?: string;
  /** A pseudo-terminal: output (stdout and stderr) comes as one stream, `stdout`. */
  tty: boolean;
  cols?: number;
  rows?: number;
}

/** How an interactive exec ended: the process's exit code, or -1 and why it could not run. */
export interface ExecExit {
  exitCode: number;
  error?: string;
}

/** A process running inside a container (`silo-runtime exec`), driven while it runs. */
export interface ExecProcess {
  readonly stdout: Readable;
  /** Separate from stdout without a terminal; with one, nothing comes here. */
  readonly stderr: Readable;
  write(data: Uint8Array): void;
  /** Ends the input (with a terminal: the terminal's end-of-file character). */
  endInput(): void;
  resize(cols: number, rows: number): void;
  /** A signal by name (SIGINT, TERM) or number. */
  signal(signal: string): void;
  /** SIGKILL the process (and, should the runtime not exit soon after, the runtime). */
  kill(): void;
  /** Settles once the process has exited and its output has been read. */
  readonly exited: Promise<ExecExit>;
}

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

  /**
   * Starts a command inside a running container and keeps it under control (native/INTERFACE.md:
   * `exec [--tty] --control-fd 3`): stdin/stdout/stderr are pipes, fd 3 carries resize and signal
   * commands, and its end (this object gone, the agent gone) makes the runtime kill the process.
   */
  spawnExec(id: string, command: string[], options: InteractiveExecOptions): ExecProcess {
    const args = ['--root', this.root, 'exec', '--control-fd', '3'];
    if (options.tty) {
      args.push('--tty');
      if (options.cols) args.push('--cols', String(options.cols));
      if (options.rows) args.push('--rows', String(options.rows));
    }
    for (const [key, value] of Object.entries(options.env ?? {})) args.push('--env', `${key}=${value}`);
    if (options.user) args.push('--user', options.user);
    if (options.cwd) args.push('--cwd', options.cwd);
    args.push(id, ...command);
    return new RuntimeExecProcess(spawn(this.runtimePath, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }), options.tty);
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

class RuntimeExecProcess implements ExecProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ExecExit>;
  private readonly control: Writable;
  private stderrTail = '';
  private killTimer?: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly child: ReturnType<typeof spawn>,
    tty: boolean,
  ) {
    this.stdout = child.stdout!;
    this.control = child.stdio[3] as Writable;
    // A write after the runtime exited must not throw (EPIPE): the exit is reported anyway.
    for (const stream of [child.stdin!, this.control]) stream.on('error', () => undefined);
    const runtimeStderr = child.stderr!;
    runtimeStderr.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL)));
    // With a terminal the process's output all comes through it; the runtime's stderr only
    // carries the runtime's own errors.
    this.stderr = tty ? emptyReadable(runtimeStderr) : runtimeStderr;
    this.exited = new Promise<ExecExit>((resolve) => {
      let settled = false;
      const finish = (result: ExecExit) => {
        if (settled) return;
        settled = true;
        this.done = true;
        clearTimeout(this.killTimer);
        resolve(result);
      };
      child.on('error', (err) => finish({ exitCode: -1, error: `cannot run silo-runtime: ${err.message}` }));
      child.on('exit', (code, signal) => {
        const result = this.result(code, signal);
        // Output still in the pipes is read first; a process left behind that holds them open
        // does not hold the session.
        const drain = setTimeout(() => {
          this.stdout.destroy();
          runtimeStderr.destroy();
          finish(result);
        }, OUTPUT_DRAIN_MS);
        child.on('close', () => {
          clearTimeout(drain);
          finish(this.result(code, signal));
        });
      });
    });
  }

  write(data: Uint8Array): void {
    if (!this.done && this.child.stdin!.writable) this.child.stdin!.write(data);
  }

  endInput(): void {
    if (this.child.stdin!.writable) this.child.stdin!.end();
  }

  resize(cols: number, rows: number): void {
    this.command(`resize ${Math.trunc(cols)} ${Math.trunc(rows)}`);
  }

  signal(signal: string): void {
    if (!/^[A-Za-z0-9+-]{1,16}$/.test(signal)) throw new SiloError('VALIDATION_FAILED', `not a signal: ${signal}`);
    this.command(`signal ${signal}`);
  }

  kill(): void {
    if (this.done) return;
    this.command('signal KILL');
    if (this.control.writable) this.control.end();
    this.killTimer ??= setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS);
  }

  private command(line: string): void {
    if (!this.done && this.control.writable) this.control.write(`${line}\n`);
  }

  private result(code: number | null, signal: NodeJS.Signals | null): ExecExit {
    const exitCode = code ?? 128 + signalNumber(signal);
    // The runtime's own failure (no such command, the container stopped, ...): exit code 1 and
    // its message last on stderr.
    const lastLine = this.stderrTail.trimEnd().split('\n').pop() ?? '';
    if (exitCode === 1 && lastLine.startsWith('silo-runtime: ')) return { exitCode: -1, error: lastLine.slice('silo-runtime: '.length) };
    return { exitCode };
  }
}

/** A stream that ends when SOURCE ends and never carries data. */
function emptyReadable(source: Readable): Readable {
  const empty = new PassThrough();
  source.on('end', () => empty.end());
  source.on('close', () => empty.end());
  return empty;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (SIGNALS[signal] ?? 0) : 0;
}
