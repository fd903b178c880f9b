import type { AccountView, TeamView } from '@silo/contracts';
import { parseMemory } from '@silo/domain';
import { Command, Option } from 'commander';
import { CliIo, readAll } from '../output/io';
import { formatBytes, OutputFormat, outputOption, print, printList, shortTime } from '../output/render';
import { clientFor, enc, group, runAction } from './command-kit';

const teamsOf = (a: AccountView) => a.teams.map((t) => `${t.team}:${t.role}`).join(',') || '-';

function accountColumns(): Array<[string, (a: AccountView) => string]> {
  return [
    ['name', (a) => a.name],
    ['kind', (a) => a.kind],
    ['role', (a) => a.role],
    ['teams', teamsOf],
    ['created', (a) => shortTime(a.createdAt)],
  ];
}

function printSecret(io: CliIo, format: OutputFormat, reply: { name: string; kind: string; secret: string }, what: string): void {
  print(io, format, reply, () => `Created ${reply.kind} ${reply.name}. Its ${what} is shown only now:\n\n  ${reply.secret}\n\n`);
}

/** `silo user ls|create|rm|set-role`, `silo team ls|create|rm|quota|member`, `silo token ls|create|rm`. */
export function registerAccountCommands(program: Command, io: CliIo): void {
  const user = group(program, 'user', 'user accounts (admin)');
  user.command('ls').alias('list').description('list users').addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).get<{ accounts: AccountView[] }>('/api/v1/users');
      printList(io, flags.output, reply, reply.accounts, accountColumns(), 'No users. Create one with: silo user create NAME');
    }));
  user.command('create').description('create a user (a generated password is shown once unless --password-stdin)')
    .argument('<name>')
    .addOption(new Option('--role <role>', 'cluster-wide role').choices(['admin', 'viewer', 'member']).default('member'))
    .option('--password-stdin', 'read the password from stdin')
    .addOption(outputOption())
    .action(async (name: string, flags: { role: string; passwordStdin?: boolean; output: OutputFormat }, command: Command) => runAction(io, async () => {
      let password: string | undefined;
      if (flags.passwordStdin) {
        if (!io.terminal) throw new Error('--password-stdin: no stdin');
        password = (await readAll(io.terminal.stdin)).replace(/\r?\n$/, '');
      }
      const reply = await clientFor(command, io).send<{ name: string; kind: string; secret: string }>('POST', '/api/v1/users', { name, role: flags.role, ...(password ? { password } : {}) });
      printSecret(io, flags.output, reply, 'password');
    }));
  user.command('rm').alias('remove').description('delete a user: their sessions stop working at once').argument('<name>')
    .action(async (name: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('DELETE', `/api/v1/users/${enc(name)}`);
      io.out(`${name}\n`);
    }));
  user.command('set-role').description("change a user's cluster-wide role").argument('<name>')
    .addArgument(new Command().createArgument('<role>', 'admin, viewer or member').choices(['admin', 'viewer', 'member']))
    .action(async (name: string, role: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('PATCH', `/api/v1/users/${enc(name)}`, { role });
      io.out(`${name}: ${role}\n`);
    }));

  const team = group(program, 'team', 'teams: who may push, pull and deploy what');
  team.command('ls').alias('list').description('list teams with quota, usage and members').addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).get<{ teams: TeamView[] }>('/api/v1/teams');
      printList(io, flags.output, reply, reply.teams, [
        ['name', (t) => t.name],
        ['used', (t) => formatBytes(t.usedBytes)],
        ['quota', (t) => (t.quotaBytes === null || t.quotaBytes === undefined ? '-' : formatBytes(t.quotaBytes))],
        ['members', (t) => t.members.map((m) => `${m.account}:${m.role}`).join(',') || '-'],
        ['created', (t) => shortTime(t.createdAt)],
      ], 'No teams. Create one with: silo team create NAME');
    }));
  team.command('create').description('create a team').argument('<name>').option('--quota <bytes>', 'storage quota, e.g. 10Gi').addOption(outputOption())
    .action(async (name: string, flags: { quota?: string; output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).send('POST', '/api/v1/teams', { name, ...(flags.quota ? { quotaBytes: parseMemory(flags.quota) } : {}) });
      print(io, flags.output, reply, () => `Created team ${name}\n`);
    }));
  team.command('quota').description("set a team's storage quota (none: no quota)").argument('<name>').argument('<bytes>', 'e.g. 10Gi, or none')
    .action(async (name: string, bytes: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('PATCH', `/api/v1/teams/${enc(name)}`, { quotaBytes: bytes === 'none' ? null : parseMemory(bytes) });
      io.out(`${name}: quota ${bytes}\n`);
    }));
  team.command('rm').alias('remove').description('delete a team (its repositories stay)').argument('<name>')
    .action(async (name: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('DELETE', `/api/v1/teams/${enc(name)}`);
      io.out(`${name}\n`);
    }));
  team.command('member').description("set an account's role in a team (none removes it)").argument('<team>').argument('<account>')
    .addArgument(new Command().createArgument('<role>', 'pull, push, delete, admin or none').choices(['pull', 'push', 'delete', 'admin', 'none']))
    .action(async (teamName: string, account: string, role: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('PUT', `/api/v1/teams/${enc(teamName)}/members/${enc(account)}`, { role });
      io.out(`${account} in ${teamName}: ${role}\n`);
    }));

  const token = group(program, 'token', 'robot tokens for CI and machines (team+name, the token is the password)');
  token.command('ls').alias('list').description('list robot tokens').addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).get<{ accounts: AccountView[] }>('/api/v1/tokens');
      printList(io, flags.output, reply, reply.accounts, accountColumns(), 'No robot tokens. Create one with: silo token create NAME --team TEAM --role push');
    }));
  token.command('create').description('create a robot token (shown once)').argument('<name>')
    .requiredOption('--team <team>', 'the team it acts for')
    .addOption(new Option('--role <role>', 'its role in the team').choices(['pull', 'push', 'delete', 'admin']).default('pull'))
    .addOption(outputOption())
    .action(async (name: string, flags: { team: string; role: string; output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).send<{ name: string; kind: string; secret: string }>('POST', '/api/v1/tokens', { name, team: flags.team, role: flags.role });
      printSecret(io, flags.output, reply, 'token');
    }));
  token.command('rm').alias('revoke').description('revoke a robot token, at once').argument('<name>', 'team+name')
    .action(async (name: string, _f: object, command: Command) => runAction(io, async () => {
      await clientFor(command, io).send('DELETE', `/api/v1/tokens/${enc(name)}`);
      io.out(`${name}\n`);
    }));
}
