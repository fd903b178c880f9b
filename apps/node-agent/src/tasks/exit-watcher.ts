import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** What `silo-monitor` writes when the container's process ends (native/INTERFACE.md). */
export interface ExitRecord {
  exitCode: number;
  signal: number | null;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  /** Set by the agent when the monitor vanished without writing the file. */
  lost?: boolean;
}

const POLL_MS = 1000;

async function readExit(path: string): Promise<ExitRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}

/**
 * Resolves when the exit file appears (inotify on its directory, with a slow poll as a safety
 * net); resolves undefined when SIGNAL aborts. If MONITORALIVE turns false and no file came, the
 * exit was lost: a record with `lost: true` and exit code 255.
 */
export function waitForExitFile(path: string, signal: AbortSignal, monitorAlive: () => boolean): Promise<ExitRecord | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let watcher: ReturnType<typeof watch> | undefined;
    const finish = (record: ExitRecord | undefined): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      watcher?.close();
      signal.removeEventListener('abort', onAbort);
      resolve(record);
    };
    const check = async (): Promise<void> => {
      const record = await readExit(path);
      if (record) return finish(record);
      if (!monitorAlive()) {
        // The monitor may have written the file just before exiting.
        const late = await readExit(path);
        const now = new Date().toISOString();
        finish(late ?? { exitCode: 255, signal: null, oomKilled: false, startedAt: now, finishedAt: now, lost: true });
      }
    };
    const onAbort = (): void => finish(undefined);
    if (signal.aborted) return finish(undefined);
    signal.addEventListener('abort', onAbort);
    const timer = setInterval(() => void check(), POLL_MS);
    try {
      watcher = watch(dirname(path), (_event, name) => {
        if (name === basename(path)) void check();
      });
      watcher.on('error', () => undefined);
    } catch {
      // the directory vanished: the poll decides
    }
    void check();
  });
}
