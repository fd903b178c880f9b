import type { ServiceRemoveReply, ServiceSpec, ServiceTask, ServiceView } from '@silo/contracts';
import { Command } from 'commander';
import type { ApiClient } from '../api-client/api-client';
import type { Goal } from '../follow/convergence';
import { followToExitCode } from '../follow/follow-runner';
import type { CliIo } from '../output/io';
import { OutputFormat, outputOption, print, printList } from '../output/render';
import { parseDurationMs } from '../service/durations';
import { addContainerOptions, CreateFlags, serviceSpecFrom } from '../service/spec-flags';
import { addUpdateOptions, updatePatchFrom, UpdateFlags } from '../service/update-flags';
import { afterDashDash, clientFor, enc, group, runAction } from './command-kit';
import { addLogOptions, LogFlags, printLogs } from './logs-printer';
import { renderServiceDetail, renderTasks, SERVICE_HEADERS, servicesRow } from './task-table';

export interface FollowFlags {
  detach?: boolean;
  timeout: string;
}

export function addFollowOptions(command: Command): Command {
  return command
    .option('-d, --detach', 'return at once instead of following the rollout')
    .option('--timeout <duration>', 'give up following after this long (exit 2)', '5m');
}

type Kind = 'services' | 'jobs';

/**
 * Sends a change and follows it: prints the service, then (unless --detach) the convergence with
 * live progress; the exit code says whether it converged.
 */
export async function changeAndFollow(io: CliIo, client: ApiClient, kind: Kind, name: string, flags: FollowFlags, change: () => Promise<{ service: ServiceView }>, verb: string, goal: Goal = 'rollout'): Promise<number> {
  const timeoutMs = parseDurationMs(flags.timeout);
  const { service } = await change();
  io.err(`${service.name}: ${verb} (version ${service.version})\n`);
  if (flags.detach) {
    io.out(`${service.name}\n`);
    return 0;
  }
  const { code } = await followToExitCode(io, client, { name, timeoutMs, kind, goal });
  return code;
}

/** `silo service create|ls|ps|inspect|scale|update|rollback|rm|logs`. */
export function registerServiceCommand(program: Command, io: CliIo): void {
  const service = group(program, 'service', 'deploy, scale, update and remove services').alias('svc');
  registerWorkloadVerbs(service, io, 'services');
}

/** The verbs services and jobs share (jobs: `silo job …` with the /jobs routes). */
export function registerWorkloadVerbs(parent: Command, io: CliIo, kind: Kind): void {
  const base = `/api/v1/${kind}`;
  const noun = kind === 'jobs' ? 'job' : 'service';

  if (kind === 'services') {
    addFollowOptions(addContainerOptions(
      parent
        .command('create')
        .description('create a service and follow it until its replicas run')
        .argument('<image>', 'the image, e.g. team/web:1.0 (in Silo\'s registry) or registry.example.com/web:1')
        .argument('[command...]', "command and arguments (replace the image's cmd)")
        .option('--name <name>', 'service name (default: from the image)')
        .option('--replicas <n>', 'number of tasks (default 1)')
        .option('--mode <mode>', 'replicated (default) or global (one task per eligible node)'),
    ))
      .passThroughOptions()
      .action(async (image: string, args: string[], flags: CreateFlags & FollowFlags, command: Command) =>
        runAction(io, async () => {
          const spec = serviceSpecFrom(image, afterDashDash(args), flags);
          const client = clientFor(command, io);
          return changeAndFollow(io, client, kind, spec.name, flags, () => client.send('POST', base, spec), 'created');
        }),
      );
  }

  parent
    .command('ls')
    .alias('list')
    .description(`list ${kind}`)
    .option('-a, --all', 'include jobs', false)
    .addOption(outputOption())
    .action(async (flags: { all?: boolean; output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const reply = await clientFor(command, io).get<{ services: ServiceView[] }>(`${base}${flags.all && kind === 'services' ? '?all=true' : ''}`);
        const columns = SERVICE_HEADERS.map((h, i) => [h, (s: ServiceView) => servicesRow(s)[i]!] as [string, (s: ServiceView) => string]);
        printList(io, flags.output, reply, reply.services, columns, `No ${kind}. Create one with: silo ${kind === 'jobs' ? 'job run' : 'service create'} IMAGE`);
      }),
    );

  parent
    .command('ps')
    .description(`list the tasks of a ${noun}: slot, node, state, and why pending`)
    .argument('<name>')
    .addOption(outputOption())
    .action(async (name: string, flags: { output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const reply = await clientFor(command, io).get<{ name: string; tasks: ServiceTask[] }>(`${base}/${enc(name)}/tasks`);
        print(io, flags.output, reply, () => renderTasks(reply.tasks));
      }),
    );

  parent
    .command('inspect')
    .description(`show a ${noun}'s spec and state`)
    .argument('<name...>')
    .addOption(outputOption())
    .action(async (names: string[], flags: { output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const client = clientFor(command, io);
        const views = await Promise.all(names.map(async (name) => (await client.get<{ service: ServiceView }>(`${base}/${enc(name)}`)).service));
        print(io, flags.output, names.length === 1 ? views[0] : views, () => views.map(renderServiceDetail).join('\n'));
      }),
    );

  if (kind === 'services') {
    addFollowOptions(
      parent
        .command('scale')
        .description('change the number of replicas and follow until they run (NAME=N or NAME N)')
        .argument('<name>', 'NAME, or NAME=REPLICAS')
        .argument('[replicas]'),
    ).action(async (name: string, replicas: string | undefined, flags: FollowFlags, command: Command) =>
      runAction(io, async () => {
        const [service, count] = name.includes('=') ? (name.split('=', 2) as [string, string]) : [name, replicas];
        if (count === undefined || !/^\d+$/.test(count)) throw new Error('usage: silo service scale NAME=REPLICAS (or NAME REPLICAS), REPLICAS a whole number');
        const client = clientFor(command, io);
        return changeAndFollow(io, client, kind, service, flags, () => client.send('POST', `${base}/${enc(service)}/scale`, { replicas: Number(count) }), `scaling to ${count}`, 'scale');
      }),
    );

    addFollowOptions(addUpdateOptions(addContainerOptions(parent.command('update').description('change a service (a new version) and follow the rolling update').argument('<name>'))))
      .action(async (name: string, flags: UpdateFlags & FollowFlags, command: Command) =>
        runAction(io, async () => {
          const client = clientFor(command, io);
          const { service } = await client.get<{ service: ServiceView }>(`${base}/${enc(name)}`);
          const patch = updatePatchFrom(service.spec, flags);
          if (Object.keys(patch).length === 0) throw new Error('nothing to update: give at least one flag (silo service update --help)');
          return changeAndFollow(io, client, kind, name, flags, () => client.send<{ service: ServiceView }>('PATCH', `${base}/${enc(name)}`, patch as Partial<ServiceSpec>), 'updating');
        }),
      );

    addFollowOptions(parent.command('rollback').description('return to the previous version and follow the rollout').argument('<name>'))
      .action(async (name: string, flags: FollowFlags, command: Command) =>
        runAction(io, async () => {
          const client = clientFor(command, io);
          return changeAndFollow(io, client, kind, name, flags, () => client.send('POST', `${base}/${enc(name)}/rollback`), 'rolling back', 'rollback');
        }),
      );
  }

  parent
    .command('rm')
    .alias('remove')
    .description(`remove ${kind} and stop their tasks`)
    .argument('<name...>')
    .action(async (names: string[], _flags: object, command: Command) =>
      runAction(io, async () => {
        const client = clientFor(command, io);
        let failed = 0;
        for (const name of names) {
          try {
            const reply = await client.send<ServiceRemoveReply>('DELETE', `${base}/${enc(name)}`);
            io.out(`${reply.name}\n`);
          } catch (err) {
            failed++;
            io.err(`silo: ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
          }
        }
        return failed ? 1 : 0;
      }),
    );

  addLogOptions(parent.command('logs').description(`print the logs of every task of a ${noun}`).argument('<name>')).action(
    async (name: string, flags: LogFlags, command: Command) => runAction(io, () => printLogs(io, clientFor(command, io), `${base}/${enc(name)}/logs`, flags)),
  );
}
