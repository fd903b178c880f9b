import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** Restart with exponential backoff when it exits on its own. */
  restart: boolean;
}

export interface ConsoleSink {
  line(name: string, text: string): void;
  notice(text: string): void;
}

/**
 * One supervised child: its output goes raw to `$SILO_HOME/logs/<name>.log` and formatted to
 * the console; it runs in its own process group, so a terminal's Ctrl-C reaches only the
 * launcher, which then stops the children in order.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private readonly log: WriteStream;
  private stopping = false;
  private backoffMs = 1000;
  private startedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  onRestart?: (pid: number) => void;

  constructor(
    readonly spec: ProcessSpec,
    logDir: string,
    private readonly sink: ConsoleSink,
    private readonly format: (line: string) => string,
  ) {
    this.log = createWriteStream(join(logDir, `${spec.name}.log`), { flags: 'a', mode: 0o600 });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): ChildProcess {
    this.startedAt = Date.now();
    const child = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.log.write(`${line}\n`);
        this.sink.line(this.spec.name, this.format(line));
      });
    }
    child.once('error', (err) => this.sink.notice(`${this.spec.name}: failed to start: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!this.spec.restart) {
        this.sink.notice(`${this.spec.name} exited (${how})`);
        return;
      }
      if (Date.now() - this.startedAt > 60_000) this.backoffMs = 1000;
      this.sink.notice(`${this.spec.name} exited (${how}); restarting in ${this.backoffMs / 1000}s`);
      this.restartTimer = setTimeout(() => {
        const restarted = this.start();
        if (restarted.pid) this.onRestart?.(restarted.pid);
      }, this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    });
    return child;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.log.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sink.notice(`${this.spec.name} did not stop within ${graceMs / 1000}s; killing it`);
        child.kill('SIGKILL');
      }, graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  /** Immediate SIGKILL (a second Ctrl-C). */
  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGKILL');
  }
}
