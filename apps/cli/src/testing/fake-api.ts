import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { CliIo, Terminal } from '../output/io';
import { buildProgram } from '../program';

/** Test support: a small HTTP server that answers like the api (or the registry) does. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  json?: unknown;
}

export type Handler = (req: Seen, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  server: Server;
  seen: Seen[];
  /** Routes: `METHOD /path` (query ignored) → handler; the first that matches wins. */
  route(methodAndPath: string | RegExp, handler: Handler): void;
  reset(): void;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startFakeServer(): Promise<FakeServer> {
  const routes: Array<[string | RegExp, Handler]> = [];
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
      try {
        entry.json = body.length ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        entry.json = undefined;
      }
      seen.push(entry);
      const key = `${req.method} ${req.url!.split('?')[0]}`;
      const match = routes.find(([pattern]) => (typeof pattern === 'string' ? pattern === key : pattern.test(key)));
      if (!match) return json(res, 404, { code: 'NOT_FOUND', message: `no route ${key}` });
      Promise.resolve(match[1](entry, res)).catch((err: unknown) => json(res, 500, { code: 'INTERNAL', message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    seen,
    route: (pattern, handler) => void routes.unshift([pattern, handler]),
    reset: () => {
      routes.length = 0;
      seen.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface FakeTerminal extends Terminal {
  /** Fires a signal's handlers, as the OS would. */
  raise(signal: 'SIGINT' | 'SIGWINCH' | 'SIGTERM'): void;
  rawModes: boolean[];
  stdin: PassThrough;
}

export function fakeTerminal(options: { tty?: boolean; secret?: string } = {}): FakeTerminal {
  const handlers = new Map<string, Set<() => void>>();
  const rawModes: boolean[] = [];
  return {
    stdoutIsTTY: options.tty ?? false,
    stdinIsTTY: options.tty ?? false,
    stdin: new PassThrough(),
    stderrStream: new PassThrough(),
    onSignal(signal, handler) {
      if (!handlers.has(signal)) handlers.set(signal, new Set());
      handlers.get(signal)!.add(handler);
      return () => void handlers.get(signal)!.delete(handler);
    },
    raise(signal) {
      for (const handler of handlers.get(signal) ?? []) handler();
    },
    setRawMode: (raw) => void rawModes.push(raw),
    rawModes,
    size: () => ({ cols: 100, rows: 30 }),
    readSecret: async () => options.secret ?? '',
  };
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the CLI in-process with captured output; the exit code as the process would have it. */
export async function runCli(args: string[], env: Record<string, string | undefined>, cwd: string, terminal?: Terminal): Promise<RunResult> {
  const result = { stdout: '', stderr: '', code: 0 };
  const io: CliIo = { out: (t) => void (result.stdout += t), err: (t) => void (result.stderr += t), exit: (c) => void (result.code = c), env, cwd, terminal };
  try {
    await buildProgram(io).parseAsync(['node', 'silo', ...args]);
  } catch (err) {
    result.code = (err as { exitCode?: number }).exitCode ?? 1;
  }
  return result;
}
