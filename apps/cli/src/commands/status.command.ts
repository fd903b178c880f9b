import type { StatusReport } from '@silo/contracts';
import { Command } from 'commander';
import { ApiClient } from '../api-client/api-client';
import { resolveTarget } from '../config/target';
import type { CliIo } from '../output/io';
import { formatData, OutputFormat, outputOption } from '../output/render';
import { formatUptime, renderTable } from '../output/table';

/** `silo status`: every service's health through the api; non-zero exit unless all are healthy. */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description("show the health of every Silo service (exit code 1 unless all are healthy)")
    .addOption(outputOption())
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; api?: string; context?: string }>();
      let report: StatusReport;
      try {
        const target = resolveTarget(globals, io);
        report = await new ApiClient(target).get<StatusReport>('/api/v1/status');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (options.output !== 'table') io.out(formatData(options.output, { healthy: false, error: message, components: [] }, () => ''));
        io.err(`silo: ${message}\n`);
        io.exit(1);
        return;
      }
      io.out(formatData(options.output, report, () => renderStatus(report)));
      io.exit(report.healthy ? 0 : 1);
    });
}

export function renderStatus(report: StatusReport): string {
  const rows = report.components.map((c) => [
    c.name,
    c.instance ?? '-',
    c.state,
    c.version ?? '-',
    formatUptime(c.uptimeSeconds),
    details(c),
  ]);
  const summary = report.healthy
    ? `all ${report.components.length} components healthy`
    : `${report.components.filter((c) => c.state !== 'healthy').length} of ${report.components.length} components not healthy`;
  return `${renderTable(['component', 'instance', 'state', 'version', 'uptime', 'details'], rows)}\n${summary}\n`;
}

function details(c: StatusReport['components'][number]): string {
  if (c.error) return c.error;
  const failing = c.checks.filter((check) => check.status === 'fail');
  if (failing.length > 0) return failing.map((f) => `${f.name}: ${f.message ?? 'failed'}`).join('; ');
  return c.checks.map((check) => check.name).join(', ');
}
