import type { StatusReport } from '@silo/contracts';
import { freePort, makeTempDir, TempDir } from '@silo/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { renderStatus } from './commands/status.command';
import { findSiloHome, resolveApiTarget } from './context/local-context';
import { CliIo } from './output/io';
import { buildProgram } from './program';

function captureIo(env: Record<string, string | undefined>, cwd: string) {
  const io = { stdout: '', stderr: '', code: 0 as number | undefined };
  const cli: CliIo = {
    out: (t) => void (io.stdout += t),
    err: (t) => void (io.stderr += t),
    exit: (c) => void (io.code = c),
    env,
    cwd,
  };
  return { io, cli };
}

async function run(args: string[], env: Record<string, string | undefined>, cwd: string) {
  const { io, cli } = captureIo(env, cwd);
  try {
    await buildProgram(cli).parseAsync(['node', 'silo', ...args]);
  } catch (err) {
    io.code = (err as { exitCode?: number }).exitCode ?? 1;
  }
  return io;
}

const healthyReport: StatusReport = {
  healthy: true,
  checkedAt: '2026-01-01T00:00:00.000Z',
  components: [
    { name: 'nats', instance: 'n1', version: '2.9.10', state: 'healthy', checks: [{ name: 'connection', status: 'pass', durationMs: 1 }] },
    { name: 'registry', instance: 'h:1', version: '0.1.0', state: 'healthy', uptimeSeconds: 3725, checks: [{ name: 'database', status: 'pass', durationMs: 1 }] },
  ],
};

describe('silo status', () => {
  let dir: TempDir;
  let server: Server;
  let report: StatusReport;
  let seenAuth: string | undefined;
  let apiUrl: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    server = createServer((req, res) => {
      seenAuth = req.headers.authorization;
      if (req.headers.authorization !== `Basic ${Buffer.from('admin:correct-horse-battery').toString('base64')}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'UNAUTHORIZED', message: 'invalid credentials' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(join(dir.path, 'repo', '.silo'), { recursive: true });
    mkdirSync(join(dir.path, 'repo', 'apps', 'cli'), { recursive: true });
    writeFileSync(
      join(dir.path, 'repo', '.silo', 'admin-credentials.json'),
      JSON.stringify({ username: 'admin', password: 'correct-horse-battery', apiUrl, registry: '127.0.0.1:5000' }),
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await dir.cleanup();
  });

  beforeEach(() => {
    report = healthyReport;
  });

  it('finds the api and credentials from the repository .silo without flags (from a subdirectory too)', async () => {
    const io = await run(['status', '-o', 'json'], {}, join(dir.path, 'repo', 'apps', 'cli'));
    expect(io.code).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual(healthyReport);
    expect(seenAuth).toMatch(/^Basic /);
  });

  it('prints a table for people', async () => {
    const io = await run(['status'], {}, join(dir.path, 'repo'));
    expect(io.code).toBe(0);
    expect(io.stdout).toMatch(/^COMPONENT\s+INSTANCE\s+STATE\s+VERSION\s+UPTIME\s+DETAILS/);
    expect(io.stdout).toMatch(/registry\s+h:1\s+healthy\s+0\.1\.0\s+1h2m\s+database/);
    expect(io.stdout).toContain('all 2 components healthy');
  });

  it('exits non-zero when a component is not healthy', async () => {
    report = {
      ...healthyReport,
      healthy: false,
      components: [...healthyReport.components, { name: 'scheduler', state: 'unreachable', checks: [], error: 'no service answers silo.scheduler.health' }],
    };
    const io = await run(['status'], {}, join(dir.path, 'repo'));
    expect(io.code).toBe(1);
    expect(io.stdout).toContain('scheduler');
    expect(io.stdout).toContain('1 of 3 components not healthy');
  });

  it('exits non-zero with a clear message when the api is unreachable, also in JSON', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const io = await run(['status', '-o', 'json', '--api', closed], {}, join(dir.path, 'repo'));
    expect(io.code).toBe(1);
    expect(io.stderr).toContain(`cannot reach the api at ${closed} (ECONNREFUSED). Is Silo running?`);
    expect(JSON.parse(io.stdout)).toMatchObject({ healthy: false, components: [] });
  });

  it('says which credentials were refused', async () => {
    const io = await run(['status'], { SILO_PASSWORD: 'wrong' }, join(dir.path, 'repo'));
    expect(io.code).toBe(1);
    expect(io.stderr).toContain('refused the credentials');
  });

  it('suggests the right command for a typo and rejects unknown output formats', async () => {
    const typo = await run(['stauts'], {}, dir.path);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown command 'stauts'");
    expect(typo.stderr).toContain('(Did you mean status?)');
    const format = await run(['status', '-o', 'xml'], {}, dir.path);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/Allowed choices are table, json/);
  });
});

describe('finding SILO_HOME', () => {
  it('prefers the flag, then $SILO_HOME', () => {
    expect(findSiloHome('x', { SILO_HOME: '/env' }, '/cwd')).toBe('/cwd/x');
    expect(findSiloHome(undefined, { SILO_HOME: '/env' }, '/cwd')).toBe('/env');
  });

  it('refuses a SILO_HOME without credentials with a helpful message', async () => {
    const dir = await makeTempDir();
    try {
      expect(() => resolveApiTarget({}, { SILO_HOME: dir.path }, '/')).toThrow(/no admin-credentials\.json in .*npm start creates it/);
    } finally {
      await dir.cleanup();
    }
  });

  it('renders unreachable rows with their reason', () => {
    const text = renderStatus({ healthy: false, checkedAt: '', components: [{ name: 'scheduler', state: 'unreachable', checks: [], error: 'gone' }] });
    expect(text).toMatch(/scheduler\s+-\s+unreachable\s+-\s+-\s+gone/);
  });
});
