import type { LogLine } from '@silo/contracts';
import { existsSync, watch } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

/** One CRI log line: `2026-11-28T21:03:04.123456789Z stdout F text` (P: a partial line). */
export function parseCriLine(line: string): (LogLine & { partial: boolean }) | undefined {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  const third = line.indexOf(' ', second + 1);
  if (first < 0 || second < 0) return undefined;
  const stream = line.slice(first + 1, second);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = third < 0 ? line.slice(second + 1) : line.slice(second + 1, third);
  return { time: line.slice(0, first), stream, text: third < 0 ? '' : line.slice(third + 1), partial: tag === 'P' };
}

/** Joins partial (P) records with the full (F) record that ends them. */
function assemble(records: (LogLine & { partial: boolean })[]): LogLine[] {
  const lines: LogLine[] = [];
  let pending: LogLine | undefined;
  for (const record of records) {
    if (pending && pending.stream === record.stream) {
      pending.text += record.text;
    } else {
      if (pending) lines.push(pending);
      pending = { time: record.time, stream: record.stream, text: record.text };
    }
    if (!record.partial) {
      lines.push(pending);
      pending = undefined;
    }
  }
  if (pending) lines.push(pending);
  return lines;
}

function parseAll(text: string): (LogLine & { partial: boolean })[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map(parseCriLine)
    .filter((r): r is LogLine & { partial: boolean } => r !== undefined);
}

/**
 * Reads a container's log file and its rotated predecessors (FILE.N … FILE.1, FILE), oldest
 * first, and follows the live file.
 */
export class ContainerLogReader {
  constructor(
    private readonly file: string,
    private readonly maxFiles = 3,
  ) {}

  async read(options: { tail?: number; since?: string } = {}): Promise<{ lines: LogLine[]; offset: number }> {
    const texts: string[] = [];
    for (let n = this.maxFiles; n >= 1; n--) {
      const rotated = `${this.file}.${n}`;
      if (existsSync(rotated)) texts.push(await readFile(rotated, 'utf8'));
    }
    let offset = 0;
    if (existsSync(this.file)) {
      const current = await readFile(this.file);
      offset = current.length;
      texts.push(current.toString('utf8'));
    }
    let lines = assemble(parseAll(texts.join('')));
    if (options.since) {
      const since = Date.parse(options.since);
      lines = lines.filter((l) => Date.parse(l.time) > since);
    }
    if (options.tail !== undefined) lines = options.tail === 0 ? [] : lines.slice(-options.tail);
    return { lines, offset };
  }

  /** Calls ONLINES with each batch written after OFFSET until SIGNAL aborts. */
  follow(offset: number, onLines: (lines: LogLine[]) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let position = offset;
      let inode: number | undefined;
      let reading = false;
      let again = false;
      const readMore = async (): Promise<void> => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          const info = await stat(this.file).catch(() => undefined);
          const size = info?.size ?? 0;
          // Rotated: a new file (another inode, or shorter than where we were) starts over.
          if (info && inode !== undefined && info.ino !== inode) position = 0;
          if (size < position) position = 0;
          if (info) inode = info.ino;
          if (size > position) {
            const handle = await open(this.file, 'r');
            try {
              const buffer = Buffer.alloc(size - position);
              await handle.read(buffer, 0, buffer.length, position);
              const end = buffer.lastIndexOf(0x0a) + 1; // whole lines only
              position += end;
              const lines = assemble(parseAll(buffer.subarray(0, end).toString('utf8')));
              if (lines.length > 0) onLines(lines);
            } finally {
              await handle.close();
            }
          }
        } finally {
          reading = false;
          if (again) {
            again = false;
            void readMore();
          }
        }
      };
      const timer = setInterval(() => void readMore(), 500);
      let watcher: ReturnType<typeof watch> | undefined;
      try {
        watcher = watch(this.file, () => void readMore());
        watcher.on('error', () => undefined);
      } catch {
        // not there yet: the poll picks it up
      }
      const stop = (): void => {
        clearInterval(timer);
        watcher?.close();
        resolve();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      void readMore();
    });
  }
}
