import { formatCpu, formatMemory } from '@silo/domain';
import { Command } from 'commander';
import type { CliIo } from '../output/io';
import { formatData, OutputFormat, outputOption } from '../output/render';
import { renderTable } from '../output/table';
import { clientFor, runAction } from './command-kit';

export interface TopReply {
  nodes: Array<{ nodeId: string; hostname: string; state: string; cpuMillis: number; memoryBytes: number; capacity?: { cpuMillis: number; memoryBytes: number }; tasks: number; error?: string }>;
  services: Array<{ name: string; team?: string; tasks: number; cpuPercent: number; memoryBytes: number; pids: number }>;
}

const percent = (used: number, total: number | undefined) => (total ? `${((100 * used) / total).toFixed(1)}%` : '-');

export function renderTop(top: TopReply): string {
  const nodes = renderTable(
    ['node', 'hostname', 'state', 'cpu', 'cpu %', 'memory', 'mem %', 'tasks'],
    top.nodes.map((n) =>
      n.error
        ? [n.nodeId, n.hostname, n.state, '-', '-', '-', '-', `- (${n.error})`]
        : [n.nodeId, n.hostname, n.state, formatCpu(n.cpuMillis), percent(n.cpuMillis, n.capacity?.cpuMillis), formatMemory(n.memoryBytes), percent(n.memoryBytes, n.capacity?.memoryBytes), String(n.tasks)],
    ),
  );
  const services = top.services.length
    ? renderTable(
        ['service', 'team', 'tasks', 'cpu %', 'memory', 'pids'],
        [...top.services].sort((a, b) => b.cpuPercent - a.cpuPercent).map((s) => [s.name, s.team ?? '-', String(s.tasks), `${s.cpuPercent.toFixed(1)}%`, formatMemory(s.memoryBytes), String(s.pids)]),
      )
    : 'No running services.\n';
  return `${nodes}\n${services}`;
}

/** `silo top`: live usage per node and per service, refreshed every 2 s on a terminal. */
export function registerTopCommand(program: Command, io: CliIo): void {
  program
    .command('top')
    .description('live CPU and memory per node and per service (like docker stats)')
    .option('--no-stream', 'print one snapshot and exit')
    .option('--interval <seconds>', 'refresh interval', '2')
    .addOption(outputOption())
    .action(async (flags: { stream: boolean; interval: string; output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const client = clientFor(command, io);
        const live = flags.stream && flags.output === 'table' && Boolean(io.terminal?.stdoutIsTTY);
        const interval = Math.max(0.5, Number(flags.interval) || 2) * 1000;
        const controller = new AbortController();
        const off = io.terminal?.onSignal('SIGINT', () => controller.abort()) ?? (() => {});
        try {
          do {
            const top = await client.get<TopReply>('/api/v1/top', { signal: controller.signal });
            const text = formatData(flags.output, top, () => renderTop(top));
            io.out(live ? `\x1b[H\x1b[2J${text}` : text);
            if (!live) break;
            await new Promise((resolve) => {
              const timer = setTimeout(resolve, interval);
              controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
            });
          } while (!controller.signal.aborted);
          return 0;
        } catch (err) {
          if (controller.signal.aborted) return 0;
          throw err;
        } finally {
          off();
        }
      }),
    );
}
