import type { JoinTokenCreateReply, JoinTokenListReply, JoinTokenRevokeReply, JoinTokenView } from '@silo/contracts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from '../api-client/api-client';
import type { ApiTarget } from '../context/local-context';
import { resolveTarget } from '../config/target';
import type { CliIo } from '../output/io';
import { renderTable } from '../output/table';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90s`, `30m`, `24h`, `7d`, `2w` or plain seconds → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!match) throw new InvalidArgumentError('must be a duration like 30m, 24h or 7d');
  const seconds = Number(match[1]) * UNITS[match[2] || 's']!;
  if (seconds < 60) throw new InvalidArgumentError('must be at least 1m');
  return seconds;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/;

/**
 * The NATS URL a new host can use: the scheduler's, with a loopback host replaced by the api's
 * host when the api is reached over the network (both usually live on the control plane).
 */
export function joinUrlFor(natsUrl: string, apiUrl: string): { url: string; loopback: boolean } {
  try {
    const nats = new URL(natsUrl);
    const api = new URL(apiUrl);
    if (LOOPBACK.test(nats.hostname) && !LOOPBACK.test(api.hostname)) nats.hostname = api.hostname;
    return { url: `${nats.protocol}//${nats.host}`, loopback: LOOPBACK.test(nats.hostname) };
  } catch {
    return { url: natsUrl, loopback: false };
  }
}

/** `silo node join-token create|ls|revoke`: tokens a host joins the cluster with. */
export function registerNodeJoinTokenCommand(program: Command, io: CliIo): void {
  const node = program.commands.find((c) => c.name() === 'node') ?? program.command('node').description('operate the cluster\'s nodes');
  const tokens = node.command('join-token').description('tokens that let a host join: silo agent --join URL --token TOKEN');
  const output = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');
  const targetOf = (command: Command): ApiTarget => resolveTarget(command.optsWithGlobals<{ home?: string; api?: string; context?: string }>(), io);
  const client = (command: Command): ApiClient => new ApiClient(targetOf(command));
  const fail = (err: unknown) => {
    io.err(`silo: ${err instanceof Error ? err.message : String(err)}\n`);
    io.exit(1);
  };

  tokens
    .command('create')
    .description('create a token (its secret is shown only now) and print the command that joins a host')
    .option('--description <text>', 'what or whom it is for')
    .option('--ttl <duration>', 'expire after this long (30m, 24h, 7d); default: until revoked', parseTtl)
    .addOption(output())
    .action(async (options: { description?: string; ttl?: number; output: 'table' | 'json' }, command: Command) => {
      try {
        const target = targetOf(command);
        const api = new ApiClient(target);
        const body = { ...(options.description ? { description: options.description } : {}), ...(options.ttl ? { ttlSeconds: options.ttl } : {}) };
        const reply = await api.post<JoinTokenCreateReply>('/api/v1/nodes/join-tokens', undefined, body);
        const join = joinUrlFor(reply.natsUrl, target.apiUrl);
        const joinCommand = `silo agent --join ${join.url} --token ${reply.token}`;
        if (options.output === 'json') {
          io.out(`${JSON.stringify({ ...reply, joinCommand }, null, 2)}\n`);
          return;
        }
        const lines = [
          `Join token ${reply.joinToken.id} created${reply.joinToken.expiresAt ? `, expires ${reply.joinToken.expiresAt}` : ' (valid until revoked)'}.`,
          `This is the only time its secret is shown:`,
          ``,
          `  ${reply.token}`,
          ``,
          `On the host to join, run:`,
          ``,
          `  ${joinCommand}`,
          ``,
        ];
        if (join.loopback) lines.push(`(${join.url} is this machine only: use an address of the control plane the host can reach.)`, ``);
        lines.push(`Revoke it with: silo node join-token revoke ${reply.joinToken.id}`);
        io.out(`${lines.join('\n')}\n`);
      } catch (err) {
        fail(err);
      }
    });

  tokens
    .command('ls')
    .alias('list')
    .description('list join tokens (never their secrets) and the nodes that joined with each')
    .addOption(output())
    .action(async (options: { output: 'table' | 'json' }, command: Command) => {
      try {
        const reply = await client(command).get<JoinTokenListReply>('/api/v1/nodes/join-tokens');
        io.out(options.output === 'json' ? `${JSON.stringify(reply, null, 2)}\n` : renderJoinTokens(reply.tokens));
      } catch (err) {
        fail(err);
      }
    });

  tokens
    .command('revoke')
    .description('revoke a token: hosts that present it are refused from now on (nodes that joined keep running until they re-register)')
    .argument('<id>', 'the token id (silo node join-token ls)')
    .addOption(output())
    .action(async (id: string, options: { output: 'table' | 'json' }, command: Command) => {
      try {
        const reply = await client(command).post<JoinTokenRevokeReply>(`/api/v1/nodes/join-tokens/${encodeURIComponent(id)}/revoke`);
        if (options.output === 'json') {
          io.out(`${JSON.stringify(reply, null, 2)}\n`);
          return;
        }
        const nodes = reply.joinToken.nodeIds;
        io.out(
          `${reply.changed ? 'Revoked' : 'Already revoked:'} join token ${reply.joinToken.id}.` +
            (nodes.length ? ` Nodes that joined with it (refused at their next registration): ${nodes.join(', ')}.` : '') +
            `\n`,
        );
      } catch (err) {
        fail(err);
      }
    });
}

export function renderJoinTokens(tokens: JoinTokenView[]): string {
  if (tokens.length === 0) return 'No join tokens. Create one with: silo node join-token create\n';
  const rows = tokens.map((t) => [
    t.id,
    t.state,
    t.kind,
    t.description || '-',
    t.createdAt.replace(/\.\d+Z$/, 'Z'),
    t.expiresAt ? t.expiresAt.replace(/\.\d+Z$/, 'Z') : '-',
    t.nodeIds.length ? t.nodeIds.join(',') : '-',
  ]);
  return renderTable(['id', 'state', 'kind', 'description', 'created', 'expires', 'nodes'], rows);
}
