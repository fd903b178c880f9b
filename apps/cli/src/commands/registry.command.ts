import type { RegistryGcReply } from '@silo/contracts';
import { Command } from 'commander';
import { ApiClient } from '../api-client/api-client';
import { resolveTarget } from '../config/target';
import type { CliIo } from '../output/io';
import { formatData, OutputFormat, outputOption } from '../output/render';
import { renderTable } from '../output/table';

/** `silo registry gc [--dry-run]`: online garbage collection of the registry's blobs. */
export function registerRegistryCommand(program: Command, io: CliIo): void {
  const registry = program.command('registry').description('operate the image registry');
  registry
    .command('gc')
    .description('delete blobs no manifest references (safe while pushes run)')
    .option('--dry-run', 'only report what would be deleted')
    .addOption(outputOption())
    .action(async (options: { dryRun?: boolean; output: OutputFormat }, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; api?: string; context?: string }>();
      try {
        const client = new ApiClient(resolveTarget(globals, io));
        const report = await client.post<RegistryGcReply>(`/api/v1/registry/gc?dryRun=${options.dryRun ? 'true' : 'false'}`, 600_000);
        io.out(formatData(options.output, report, () => renderGc(report)));
      } catch (err) {
        io.err(`silo: ${err instanceof Error ? err.message : String(err)}\n`);
        io.exit(1);
      }
    });
}

export function renderGc(report: RegistryGcReply): string {
  const rows = [
    [report.dryRun ? 'blobs to sweep' : 'blobs swept', String(report.blobsSwept)],
    [report.dryRun ? 'orphans to sweep' : 'orphans swept', String(report.orphansSwept)],
    [report.dryRun ? 'bytes to free' : 'bytes freed', String(report.bytesFreed)],
    ['abandoned uploads', String(report.uploadsPurged)],
    ['kept (grace period)', String(report.keptInGrace)],
    ['took', `${report.durationMs} ms`],
  ];
  return renderTable(['registry gc', report.dryRun ? 'dry run' : 'done'], rows);
}
