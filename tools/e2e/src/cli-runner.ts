import { stopProcess, track } from '@silo/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { SILO_BIN } from './platform';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end, collecting its output; `feed` talks to it once started (its stdin)
 * and may return what to stop when it ends. Killed, and the promise rejected, after `timeoutMs`.
 */
function runToEnd(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  feed: (child: ChildProcess, output: () => string) => (() => void) | void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    const stop = feed(child, () => stdout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      stop?.();
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

/** Runs `silo ARGS` to the end (asynchronously: convergence can take a while), with optional stdin. */
export function siloAsync(args: string[], env: Record<string, string>, options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runToEnd(process.execPath, [SILO_BIN, ...args], env, options.timeoutMs ?? 120_000, (child) => {
    child.stdin!.end(options.input ?? '');
  });
}

/** A long-running `silo …` (events -f, logs -f): output so far, and a way to stop it. */
export class BackgroundCli {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    this.child = track(spawn(process.execPath, [SILO_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(code ?? (signal ? 130 : -1))));
  }

  /** Ctrl-C, as a user would; resolves with the exit code. */
  async interrupt(): Promise<number | string> {
    return stopProcess(this.child, 10_000, 'SIGINT');
  }
}

/**
 * Runs `command` under script(1), which gives it a real pseudo-terminal (as a user's shell does),
 * and types `lines` into it once the remote shell has printed its prompt.
 */
export function runScript(command: string, env: Record<string, string>, lines: string[], timeoutMs = 30_000): Promise<CliResult> {
  return runToEnd('script', ['-qec', command, '/dev/null'], env, timeoutMs, (child, output) => {
    const typer = setInterval(() => {
      if (!/[#$] /.test(output())) return;
      clearInterval(typer);
      child.stdin!.write(`${lines.join('\n')}\n`);
    }, 100);
    return () => clearInterval(typer);
  });
}
