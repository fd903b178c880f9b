import { Command } from 'commander';
import type { ApiClient } from '../api-client/api-client';
import type { CliIo } from '../output/io';
import { logLines } from '../stream/ndjson';

export interface LogFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  raw?: boolean;
}

export function addLogOptions(command: Command): Command {
  return command
    .option('-f, --follow', 'keep streaming new lines until Ctrl-C')
    .option('-n, --tail <n>', 'only the last N lines of each task')
    .option('--since <time>', 'only lines since this ISO time')
    .option('-t, --timestamps', 'show each line\'s time')
    .option('--raw', 'print only the text, without the task prefix');
}

/** Streams `…/logs` (NDJSON) to stdout/stderr by each line's stream, prefixed by the task. */
export async function printLogs(io: CliIo, client: ApiClient, path: string, flags: LogFlags): Promise<number> {
  const query = new URLSearchParams();
  if (flags.tail !== undefined) {
    if (!/^\d+$/.test(flags.tail)) throw new Error(`--tail "${flags.tail}": must be a number`);
    query.set('tail', flags.tail);
  }
  if (flags.since) query.set('since', flags.since);
  if (flags.follow) query.set('follow', 'true');
  if (flags.timestamps) query.set('timestamps', 'true');
  const controller = new AbortController();
  const off = io.terminal?.onSignal('SIGINT', () => controller.abort()) ?? (() => {});
  try {
    const res = await client.stream(`${path}${query.size ? `?${query}` : ''}`, { signal: controller.signal, accept: 'application/x-ndjson' });
    for await (const line of logLines(res.body)) {
      const prefix = flags.raw || !line.task ? '' : `${line.task} | `;
      const time = flags.timestamps && line.time ? `${line.time} ` : '';
      const text = `${prefix}${time}${line.text ?? ''}${(line.text ?? '').endsWith('\n') ? '' : '\n'}`;
      if (line.stream === 'stderr') io.err(text);
      else io.out(text);
    }
    return 0;
  } catch (err) {
    if (controller.signal.aborted) return 0;
    throw err;
  } finally {
    off();
  }
}
