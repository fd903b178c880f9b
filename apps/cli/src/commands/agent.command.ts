import { parseJoinToken } from '@silo/contracts';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { CliIo } from '../output/io';

const AGENT_MAIN = join('dist', 'apps', 'node-agent', 'src', 'main.js');
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The built node agent: dist/apps/node-agent/src/main.js in the first directory above that has it. */
export function findAgentMain(from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, AGENT_MAIN))) return join(dir, AGENT_MAIN);
    if (dirname(dir) === dir) return undefined;
  }
}

interface AgentOptions {
  join: string;
  token?: string;
  labels?: string;
}

/**
 * `silo agent --join nats://HOST:PORT --token TOKEN`: runs this host's node agent in the
 * foreground (signals forwarded, its exit code returned), joined to the cluster at that NATS.
 */
export function registerAgentCommand(program: Command, io: CliIo): void {
  program
    .command('agent')
    .description('run this host\'s node agent in the foreground, joined to a cluster (SILO_HOME: --home, else $SILO_HOME, else /var/lib/silo)')
    .requiredOption('--join <url>', 'the cluster\'s NATS, nats://HOST:PORT')
    .option('--token <token>', 'a join token from silo node join-token create (default: $SILO_JOIN_TOKEN)')
    .option('--labels <k=v,...>', 'node labels for placement constraints, e.g. zone=eu,disk=ssd')
    .action(async (options: AgentOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string }>();
      const problem = (text: string) => {
        io.err(`silo: ${text}\n`);
        io.exit(1);
      };
      if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$/.test(options.join)) return problem(`--join must be a NATS URL like nats://10.0.0.5:4222, got "${options.join}"`);
      const token = options.token ?? io.env['SILO_JOIN_TOKEN'];
      if (!token) return problem('--token is required: an admin creates one with silo node join-token create');
      if (!parseJoinToken(token)) return problem('--token is not a join token (SILO-JOIN-<id>-<secret>, as silo node join-token create prints it)');
      if (options.labels !== undefined && !/^$|^[a-zA-Z0-9._/-]+=[^,=]*(,[a-zA-Z0-9._/-]+=[^,=]*)*$/.test(options.labels)) {
        return problem('--labels must be key=value pairs separated by commas');
      }
      const main = findAgentMain();
      if (!main) return problem(`the node agent is not built (${AGENT_MAIN} not found): run npm run build in the Silo repository`);
      const home = globals.home ? resolve(io.cwd, globals.home) : (io.env['SILO_HOME'] ?? '/var/lib/silo');
      mkdirSync(home, { recursive: true, mode: 0o700 });
      const env: Record<string, string | undefined> = { ...io.env, SILO_HOME: home, SILO_NATS_URL: options.join, SILO_JOIN_TOKEN: token.trim() };
      if (options.labels !== undefined) env['SILO_NODE_LABELS'] = options.labels;
      io.err(`silo: starting the node agent (SILO_HOME=${home}), joining ${options.join}\n`);
      const code = await runForeground(process.execPath, ['--enable-source-maps', main], env);
      io.exit(code);
    });
}

/** Runs a child with our stdio, forwarding signals; resolves with its exit code (128+n for signal n). */
function runForeground(command: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((done) => {
    const child = spawn(command, args, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const finish = (code: number) => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      done(code);
    };
    child.once('error', () => finish(127));
    child.once('exit', (code, signal) => finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}
