import type { ServiceTask } from '@silo/contracts';
import { Command } from 'commander';
import type { CliIo } from '../output/io';
import { addContainerOptions, CreateFlags, serviceSpecFrom } from '../service/spec-flags';
import { afterDashDash, clientFor, enc, runAction } from './command-kit';
import { addFollowOptions, changeAndFollow, FollowFlags } from './service.command';

/**
 * `silo run [flags] IMAGE [CMD...]`: `service create` and follow it. When it does not converge
 * and a container exited with a code, that code is passed through (else 2).
 */
export function registerRunCommand(program: Command, io: CliIo): void {
  addFollowOptions(
    addContainerOptions(
      program
        .command('run')
        .description('create a service from an image and follow it until it runs (a shorthand for service create)')
        .argument('<image>')
        .argument('[command...]', "command and arguments (replace the image's cmd)")
        .option('--name <name>', 'service name (default: from the image)')
        .option('--replicas <n>', 'number of tasks (default 1)')
        .option('--mode <mode>', 'replicated (default) or global'),
    ),
  )
    .passThroughOptions()
    .action(async (image: string, args: string[], flags: CreateFlags & FollowFlags, command: Command) =>
      runAction(io, async () => {
        const spec = serviceSpecFrom(image, afterDashDash(args), flags);
        const client = clientFor(command, io);
        const code = await changeAndFollow(io, client, 'services', spec.name, flags, () => client.send('POST', '/api/v1/services', spec), 'created');
        if (code !== 2) return code;
        const { tasks } = await client.get<{ tasks: ServiceTask[] }>(`/api/v1/services/${enc(spec.name)}/tasks`).catch(() => ({ tasks: [] as ServiceTask[] }));
        const exited = tasks.filter((t) => t.exitCode !== undefined && t.exitCode !== 0).sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt))[0];
        return exited?.exitCode ?? code;
      }),
    );
}
