import type { PrincipalView, SessionCreateReply } from '@silo/contracts';
import { Command } from 'commander';
import { ApiClient } from '../api-client/api-client';
import { configDir, ContextStore, contextNameFor, SiloConfig } from '../config/context-store';
import { GlobalOptions, resolveTarget } from '../config/target';
import { resolveApiTarget } from '../context/local-context';
import { CliIo, readAll } from '../output/io';
import { OutputFormat, outputOption, print, printList, shortTime } from '../output/render';
import { group, runAction } from './command-kit';

interface LoginFlags {
  username?: string;
  passwordStdin?: boolean;
  registry?: string;
  ttl?: string;
}

/** `host:5000` of the registry beside an api at `http(s)://host:7070`. */
export function defaultRegistryFor(apiUrl: string): string | undefined {
  try {
    return `${new URL(apiUrl).hostname}:5000`;
  } catch {
    return undefined;
  }
}

async function readPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  const terminal = io.terminal;
  if (!terminal) throw new Error('no password: use --password-stdin');
  if (!fromStdin && terminal.stdinIsTTY) return terminal.readSecret('Password: ');
  return (await readAll(terminal.stdin)).replace(/\r?\n$/, '');
}

/** `silo login`, `silo logout`, `silo context ls|use|rm|current`. */
export function registerLoginCommands(program: Command, io: CliIo): void {
  const storeOf = () => new ContextStore(configDir(io.env, io.cwd));

  program
    .command('login')
    .description('log in to a cluster\'s api and store the session as a context (mode 0600 in the config directory)')
    .argument('[api-url]', 'the api, e.g. https://silo.example.com:7070 (default: the context\'s, or the local platform\'s)')
    .option('-u, --username <name>', 'account name (default: $SILO_USERNAME, or prompt)')
    .option('--password-stdin', 'read the password from stdin (else prompt without echo on a terminal, or read stdin)')
    .option('--registry <host:port>', 'the registry for silo image push (default: the one the api names)')
    .option('--ttl <seconds>', 'session lifetime in seconds (default: the server\'s, 12 h)')
    .action(async (apiUrlArg: string | undefined, flags: LoginFlags, command: Command) =>
      runAction(io, async () => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const store = storeOf();
        const config = store.load();
        const existing = globals.context ? config.contexts[globals.context] : undefined;
        let local: { apiUrl: string; registry?: string } | undefined;
        if (!apiUrlArg && !existing) {
          try {
            local = resolveApiTarget(globals, io.env, io.cwd);
          } catch {
            local = undefined;
          }
        }
        const apiUrl = (apiUrlArg ?? globals.api ?? existing?.apiUrl ?? local?.apiUrl ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
        if (!/^https?:\/\/[^\s/]+/.test(apiUrl)) throw new Error(`"${apiUrl}" is not an api URL: use http(s)://HOST:PORT`);
        let username = flags.username ?? io.env['SILO_USERNAME'] ?? existing?.username;
        if (!username) throw new Error('give the account name with -u USERNAME');
        username = username.trim();
        const password = await readPassword(io, Boolean(flags.passwordStdin));
        if (!password) throw new Error('empty password');
        const client = new ApiClient({ apiUrl, source: 'silo login' });
        const body = { username, password, ...(flags.ttl ? { ttlSeconds: Number(flags.ttl) } : {}) };
        let reply: SessionCreateReply & { registry?: string };
        try {
          reply = await client.post<SessionCreateReply>('/api/v1/auth/login', undefined, body);
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status === 401) throw new Error(`login to ${apiUrl} failed: wrong username or password`);
          throw err;
        }
        const name = globals.context ?? contextNameFor(apiUrl);
        // the api says where its registry is (`registry` in the login reply); a flag overrides it
        const registry = flags.registry ?? reply.registry ?? existing?.registry ?? (local && local.apiUrl === apiUrl ? local.registry : undefined) ?? defaultRegistryFor(apiUrl);
        store.put(name, { apiUrl, registry, username, token: reply.token, expiresAt: reply.expiresAt });
        io.out(`Logged in to ${apiUrl} as ${reply.principal.name} (${reply.principal.role}); context "${name}" is now current, session expires ${shortTime(reply.expiresAt)}.\n`);
      }),
    );

  program
    .command('logout')
    .description('end the session of the current (or --context) context and forget it')
    .action(async (_flags: object, command: Command) =>
      runAction(io, async () => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const store = storeOf();
        const config = store.load();
        const name = globals.context ?? config.current;
        const context = name ? config.contexts[name] : undefined;
        if (!name || !context) throw new Error('not logged in: no current context');
        try {
          await new ApiClient({ apiUrl: context.apiUrl, token: context.token, context: name, source: `context ${name}` }).post('/api/v1/auth/logout');
        } catch (err) {
          io.err(`silo: the server did not revoke the session (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); forgetting it anyway\n`);
        }
        store.remove(name);
        io.out(`Logged out of ${context.apiUrl} (context "${name}" removed).\n`);
      }),
    );

  program
    .command('whoami')
    .description('who the api takes you for, and how')
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const target = resolveTarget(command.optsWithGlobals<GlobalOptions>(), io);
        const reply = await new ApiClient(target).get<{ principal: PrincipalView }>('/api/v1/auth/whoami');
        const p = reply.principal;
        print(io, flags.output, reply, () =>
          `${p.name} (${p.kind}, role ${p.role}) via ${p.via} at ${target.apiUrl}${p.teams.length ? `; teams: ${p.teams.map((t) => `${t.team}:${t.role}`).join(', ')}` : ''}${p.expiresAt ? `; session expires ${shortTime(p.expiresAt)}` : ''}\n`,
        );
      }),
    );

  const context = group(program, 'context', 'the clusters you logged in to (silo login adds one)');
  context
    .command('ls')
    .alias('list')
    .description('list contexts (* marks the current one)')
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat }) =>
      runAction(io, async () => {
        const config = storeOf().load();
        const rows = Object.entries(config.contexts).map(([name, c]) => ({ name, current: name === config.current, apiUrl: c.apiUrl, registry: c.registry, username: c.username, expiresAt: c.expiresAt }));
        printList(io, flags.output, { current: config.current, contexts: rows }, rows, [
          ['current', (r) => (r.current ? '*' : '')],
          ['name', (r) => r.name],
          ['api', (r) => r.apiUrl],
          ['registry', (r) => r.registry ?? '-'],
          ['user', (r) => r.username],
          ['expires', (r) => expiry(r.expiresAt)],
        ], 'No contexts: run silo login API_URL -u USER (without one, silo uses the local platform in SILO_HOME).');
      }),
    );
  context
    .command('use')
    .description('make a context the current one')
    .argument('<name>')
    .action(async (name: string) => runAction(io, async () => {
      storeOf().use(name);
      io.out(`Current context: ${name}\n`);
    }));
  context
    .command('rm')
    .alias('remove')
    .description('forget a context (its session stays valid until it expires: use silo logout to end it)')
    .argument('<name>')
    .action(async (name: string) => runAction(io, async () => {
      storeOf().remove(name);
      io.out(`Removed context ${name}\n`);
    }));
  context
    .command('current')
    .description('print the current context (exit 1 when there is none)')
    .action(async () => runAction(io, async () => {
      const config: SiloConfig = storeOf().load();
      if (!config.current) throw new Error('no current context (silo uses the local platform in SILO_HOME)');
      io.out(`${config.current}\n`);
    }));
}

function expiry(iso: string | undefined): string {
  if (!iso) return '-';
  return Date.parse(iso) < Date.now() ? `expired ${shortTime(iso)}` : shortTime(iso);
}
