import { Command } from 'commander';
import type { CliIo } from '../output/io';
import { serverSentEvents } from '../stream/sse';
import { clientFor, runAction } from './command-kit';

const TYPES = ['node', 'task', 'service', 'push', 'delete'];

/** One event for people: time, type, and its fields in a line. */
export function describeEvent(type: string, data: Record<string, unknown>, at = new Date()): string {
  const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
  const pick = (keys: string[]) => keys.filter((k) => data[k] !== undefined && data[k] !== '').map((k) => `${k}=${String(data[k])}`).join(' ');
  const subject =
    type === 'node' ? String(data['nodeId'] ?? '') : type === 'task' ? String(data['taskId'] ?? '') : type === 'service' ? String(data['name'] ?? '') : String(data['repository'] ?? '');
  const rest =
    type === 'node' ? pick(['state', 'hostname'])
      : type === 'task' ? pick(['state', 'service', 'nodeId', 'exitCode', 'health', 'reason'])
        : type === 'service' ? pick(['rollout', 'version', 'message'])
          : pick(['tag', 'digest', 'size']);
  return `${time} ${type.padEnd(7)} ${subject} ${rest}`.trimEnd();
}

/** `silo events [--type …] [-o json]`: the cluster's events as they happen, until Ctrl-C. */
export function registerEventsCommand(program: Command, io: CliIo): void {
  program
    .command('events')
    .description('stream the cluster\'s events (nodes, tasks, services, pushes) until Ctrl-C')
    .option('--type <types>', `only these types, comma-separated: ${TYPES.join(',')}`)
    .option('-o, --output <format>', 'text (default) or json (one JSON object per line)', 'text')
    .option('-f, --follow', 'stream until Ctrl-C (the default; kept for docker habit)')
    .action(async (flags: { type?: string; output: string }, command: Command) =>
      runAction(io, async () => {
        if (!['text', 'json', 'table'].includes(flags.output)) throw new Error(`-o ${flags.output}: use text or json`);
        const types = flags.type?.split(',').map((t) => t.trim()).filter(Boolean) ?? [];
        const unknown = types.filter((t) => !TYPES.includes(t));
        if (unknown.length) throw new Error(`--type ${unknown.join(',')}: unknown; use ${TYPES.join(', ')}`);
        const controller = new AbortController();
        const off = io.terminal?.onSignal('SIGINT', () => controller.abort()) ?? (() => {});
        try {
          const res = await clientFor(command, io).stream(`/api/v1/events${types.length ? `?types=${types.join(',')}` : ''}`, { signal: controller.signal, accept: 'text/event-stream' });
          for await (const event of serverSentEvents(res.body)) {
            const type = event.event ?? 'message';
            let data: Record<string, unknown>;
            try {
              data = JSON.parse(event.data) as Record<string, unknown>;
            } catch {
              data = { data: event.data };
            }
            io.out(flags.output === 'json' ? `${JSON.stringify({ id: event.id, type, data })}\n` : `${describeEvent(type, data)}\n`);
          }
          io.err('silo: the api closed the event stream\n');
          return 1;
        } catch (err) {
          if (controller.signal.aborted) return 0;
          throw err;
        } finally {
          off();
        }
      }),
    );
}
