import { makeTempDir, TempDir } from '@silo/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CliIo } from '../output/io';
import { buildProgram } from '../program';
import { joinUrlFor, parseTtl } from './node-join-token.command';

const TOKEN = `SILO-JOIN-${'a'.repeat(12)}-${'b'.repeat(40)}`;
const view = { id: 'a'.repeat(12), description: 'rack 4', kind: 'admin', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z', revokedAt: null, state: 'valid', nodeIds: [] as string[] };

async function run(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const io = { stdout: '', stderr: '', code: 0 as number | undefined };
  const cli: CliIo = { out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t), exit: (c) => void (io.code = c), env, cwd };
  try {
    await buildProgram(cli).parseAsync(['node', 'silo', ...args]);
  } catch (err) {
    io.code = (err as { exitCode?: number }).exitCode ?? 1;
  }
  return io;
}

describe('silo node join-token (against a stand-in api)', () => {
  let dir: TempDir;
  let server: Server;
  const seen: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    dir = await makeTempDir();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body });
        const json = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        if (req.method === 'POST' && req.url === '/api/v1/nodes/join-tokens') return json(201, { token: TOKEN, joinToken: view, natsUrl: 'nats://127.0.0.1:4222' });
        if (req.method === 'GET' && req.url === '/api/v1/nodes/join-tokens') return json(200, { tokens: [{ ...view, nodeIds: ['node-1', 'node-2'] }] });
        if (req.method === 'POST' && req.url === `/api/v1/nodes/join-tokens/${view.id}/revoke`) {
          return json(200, { changed: true, joinToken: { ...view, state: 'revoked', nodeIds: ['node-1'] } });
        }
        return json(404, { code: 'NOT_FOUND', message: 'no join token' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mkdirSync(join(dir.path, '.silo'));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(join(dir.path, '.silo', 'admin-credentials.json'), JSON.stringify({ username: 'admin', password: 'pw', apiUrl, registry: 'x' }));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await dir.cleanup();
  });

  it('create sends description and ttl, prints the token and the join command', async () => {
    const io = await run(['node', 'join-token', 'create', '--description', 'rack 4', '--ttl', '24h'], {}, dir.path);
    expect(io.code).toBe(0);
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ description: 'rack 4', ttlSeconds: 86_400 });
    expect(io.stdout).toContain(`  ${TOKEN}\n`);
    expect(io.stdout).toContain(`silo agent --join nats://127.0.0.1:4222 --token ${TOKEN}`);
    expect(io.stdout).toContain('use an address of the control plane the host can reach');
  });

  it('ls renders a table without secrets; revoke names the nodes', async () => {
    const ls = await run(['node', 'join-token', 'ls'], {}, dir.path);
    expect(ls.stdout).toMatch(/aaaaaaaaaaaa\s+valid\s+admin\s+rack 4\s+2026-01-01T00:00:00Z\s+2026-01-02T00:00:00Z\s+node-1,node-2/);
    const revoke = await run(['node', 'join-token', 'revoke', view.id], {}, dir.path);
    expect(revoke.stdout).toContain('Revoked join token aaaaaaaaaaaa. Nodes that joined with it (refused at their next registration): node-1.');
    const missing = await run(['node', 'join-token', 'revoke', 'ffffffffffff'], {}, dir.path);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('rejects a bad ttl and a bad agent invocation before doing anything', async () => {
    const ttl = await run(['node', 'join-token', 'create', '--ttl', 'soon'], {}, dir.path);
    expect(ttl.code).toBe(1);
    expect(ttl.stderr).toContain('must be a duration like 30m, 24h or 7d');
    const url = await run(['agent', '--join', 'http://x', '--token', TOKEN], {}, dir.path);
    expect(url.stderr).toContain('--join must be a NATS URL');
    const token = await run(['agent', '--join', 'nats://10.0.0.5:4222'], {}, dir.path);
    expect(token.stderr).toContain('--token is required');
    const labels = await run(['agent', '--join', 'nats://10.0.0.5:4222', '--token', TOKEN, '--labels', 'nope'], {}, dir.path);
    expect(labels.stderr).toContain('--labels must be key=value pairs');
  });
});

describe('join token helpers', () => {
  it('parses durations', () => {
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('7d')).toBe(604_800);
    expect(() => parseTtl('10s')).toThrow('at least 1m');
  });

  it('puts the api host in a loopback NATS URL', () => {
    expect(joinUrlFor('nats://127.0.0.1:4222', 'http://10.0.0.5:7070')).toEqual({ url: 'nats://10.0.0.5:4222', loopback: false });
    expect(joinUrlFor('nats://nats:4222', 'http://10.0.0.5:7070')).toEqual({ url: 'nats://nats:4222', loopback: false });
    expect(joinUrlFor('nats://localhost:4222', 'http://127.0.0.1:7070')).toEqual({ url: 'nats://localhost:4222', loopback: true });
  });
});
