import type { ServiceView } from '@silo/contracts';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { followToExitCode } from '../follow/follow-runner';
import type { CliIo } from '../output/io';
import { parseDurationMs } from '../service/durations';
import { addContainerOptions, CreateFlags, defaultName, serviceSpecFrom } from '../service/spec-flags';
import { afterDashDash, clientFor, enc, group, runAction } from './command-kit';
import { printLogs } from './logs-printer';
import { addFollowOptions, FollowFlags, registerWorkloadVerbs } from './service.command';

/** `silo job run|ls|ps|inspect|logs|rm`: run-to-completion workloads. */
export function registerJobCommand(program: Command, io: CliIo): void {
  const job = group(program, 'job', 'run containers to completion');
  addFollowOptions(
    addContainerOptions(
      job
        .command('run')
        .description("run a job and follow it to completion; exits with the run's exit code, then prints its logs")
        .argument('<image>')
        .argument('[command...]', "command and arguments (replace the image's cmd)")
        .option('--name <name>', 'job name (default: from the image, with a random suffix)')
        .option('--completions <n>', 'successful runs needed (default 1)')
        .option('--parallelism <n>', 'runs at once (default 1)')
        .option('--no-logs', 'do not print the logs at the end'),
    ),
  )
    .passThroughOptions()
    .action(async (image: string, args: string[], flags: CreateFlags & FollowFlags & { logs: boolean }, command: Command) =>
      runAction(io, async () => {
        const name = flags.name ?? `${defaultName(image).slice(0, 56)}-${randomBytes(3).toString('hex')}`;
        const spec = serviceSpecFrom(image, afterDashDash(args), { ...flags, name });
        const client = clientFor(command, io);
        const timeoutMs = parseDurationMs(flags.timeout);
        const { service } = await client.send<{ service: ServiceView }>('POST', '/api/v1/jobs', spec);
        io.err(`${service.name}: created (job)\n`);
        if (flags.detach) {
          io.out(`${service.name}\n`);
          return 0;
        }
        const { code, outcome } = await followToExitCode(io, client, { name: service.name, timeoutMs, kind: 'jobs' });
        if (flags.logs && (outcome === 'converged' || outcome === 'failed')) await printLogs(io, client, `/api/v1/jobs/${enc(service.name)}/logs`, { raw: true });
        return code;
      }),
    );
  registerWorkloadVerbs(job, io, 'jobs');
}
