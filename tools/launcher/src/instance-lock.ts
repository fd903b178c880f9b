import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockFile {
  pid: number;
  startedAt: string;
  children: Record<string, number>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * `$SILO_HOME/launcher.json`: one platform per SILO_HOME. It records the children's pids, so a
 * launcher that was killed outright (SIGKILL) leaves nothing behind: the next start stops the
 * leftovers it can prove are its own (same pid, same command line, same SILO_HOME).
 */
export class InstanceLock {
  private readonly file: string;
  private state: LockFile;

  constructor(private readonly home: string) {
    this.file = join(home, 'launcher.json');
    this.state = { pid: process.pid, startedAt: new Date().toISOString(), children: {} };
  }

  /** Returns the pids of a dead launcher's leftover children (for the caller to stop). */
  acquire(): number[] {
    const leftovers: number[] = [];
    if (existsSync(this.file)) {
      let previous: LockFile | undefined;
      try {
        previous = JSON.parse(readFileSync(this.file, 'utf8')) as LockFile;
      } catch {
        previous = undefined;
      }
      if (previous && previous.pid !== process.pid && alive(previous.pid) && /launcher/.test(commandLine(previous.pid))) {
        throw new Error(`Silo is already running from ${this.home} (launcher pid ${previous.pid}). Stop it first, or use another SILO_HOME.`);
      }
      for (const pid of Object.values(previous?.children ?? {})) {
        const cmd = commandLine(pid);
        if (alive(pid) && (cmd.includes(this.home) || /dist\/apps\//.test(cmd))) leftovers.push(pid);
      }
    }
    this.write();
    return leftovers;
  }

  setChild(name: string, pid: number): void {
    this.state.children[name] = pid;
    this.write();
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }

  private write(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
