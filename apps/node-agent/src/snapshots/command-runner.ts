import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  timeoutMs?: number;
}

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly result: CommandResult,
  ) {
    super(`${command} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim() || 'no output'}`);
    this.name = 'CommandFailed';
  }
}

/**
 * Runs host tools (mknod, setfattr, mount, umount): the one place the agent's image code spawns
 * processes, so that tests can replace it. No shell is involved: arguments are passed as they are.
 */
export class CommandRunner {
  run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
      child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(e.code === 'ENOENT' ? new Error(`${command} is not installed (needed by the node agent's image snapshots)`) : e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  }

  /** Runs and throws CommandFailed unless the exit code is 0. */
  async check(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    const result = await this.run(command, args, options);
    if (result.code !== 0) throw new CommandFailed(command, args, result);
    return result;
  }
}
