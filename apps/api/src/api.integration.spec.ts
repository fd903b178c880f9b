import { StatusReport, Subjects } from '@silo/contracts';
import { answerRequest, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir } from '@silo/testing';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SiloError } from '@silo/domain';
import { ApiModule } from './api.module';
import { ApiConfig } from './config/api.config';

const quiet = { log() {}, warn() {}, error() {} };
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Answers `subject` like a Silo service would, with a given health status. */
function standIn(nc: ReturnType<NatsConnectionService['require']>, subject: string, service: string, instance: string, status: 'pass' | 'fail', queue?: string) {
  nc.subscribe(subject, {
    queue,
    callback: (_err, msg) => {
      const { id } = JSON.parse(decoder.decode(msg.data)) as { id: string };
      const response = {
        service,
        instance,
        version: '0.0.1',
        startedAt: new Date().toISOString(),
        uptimeSeconds: 5,
        status,
        checks: [{ name: 'disk', status, durationMs: 1, ...(status === 'fail' ? { message: 'disk full' } : {}) }],
      };
      msg.respond(encoder.encode(JSON.stringify({ id, response })));
    },
  });
}

/**
 * The registry's `silo.registry.auth.verify` for the generated admin only (the registry is the
 * authority on credentials; the api asks it on every request).
 */
function authStandIn(nc: ReturnType<NatsConnectionService['require']>, home: string) {
  nc.subscribe(Subjects.authVerify, {
    queue: 'silo.registry',
    callback: (_err, msg) => {
      void answerRequest(msg.data, async (data) => {
        const { authorization } = data as { authorization: string };
        const creds = JSON.parse(readFileSync(join(home, 'admin-credentials.json'), 'utf8')) as { username: string; password: string };
        if (authorization !== `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`) {
          throw new SiloError('UNAUTHORIZED', 'invalid credentials');
        }
        return { principal: { kind: 'admin', name: 'admin', role: 'admin', teams: [], via: 'basic' } };
      }).then((reply) => msg.respond(reply));
    },
  });
}

describe('api (real NATS; stand-in services)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let api: RunningService;
  let others: NatsConnectionService;
  let base: string;
  let auth: string;

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    home = await makeTempDir();
    others = new NatsConnectionService({ url: nats.url, name: 'others', logger: quiet });
    const nc = await others.ready();
    standIn(nc, Subjects.health('registry'), 'registry', 'r1', 'pass', 'silo.registry');
    standIn(nc, Subjects.health('layer-store'), 'layer-store', 'l1', 'fail', 'silo.layer-store');
    standIn(nc, Subjects.health('node-agent'), 'node-agent', 'node-b', 'pass');
    standIn(nc, Subjects.health('node-agent'), 'node-agent', 'node-a', 'pass');
    authStandIn(nc, home.path);
    // no scheduler: it must show as unreachable
    await nc.flush();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await bootstrapService({
      service: 'api',
      configClass: ApiConfig,
      module: (config) => ApiModule.forRoot(config),
      httpPort: (config) => config.port,
      env: {
        SILO_HOME: home.path,
        SILO_NATS_URL: nats.url,
        SILO_LOG_LEVEL: 'fatal',
        SILO_API_PORT: String(port),
        SILO_REGISTRY_PORT: '5999',
        SILO_BIND_HOST: '127.0.0.1',
        SILO_STATUS_TIMEOUT_MS: '400',
      },
    });
    await api.app.get(NatsConnectionService).ready();
    const creds = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as { username: string; password: string };
    auth = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  });

  afterAll(async () => {
    await api?.stop();
    await others?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  it('generates admin credentials on first start, mode 0600, with the addresses', () => {
    const file = join(home.path, 'admin-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(file, 'utf8'));
    expect(creds).toMatchObject({ username: 'admin', apiUrl: base, registry: '127.0.0.1:5999' });
    expect(creds.password.length).toBeGreaterThanOrEqual(20);
  });

  it('requires credentials for the API, with a WWW-Authenticate challenge', async () => {
    const anonymous = await fetch(`${base}/api/v1/status`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="silo"');
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const wrong = await fetch(`${base}/api/v1/status`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="silo"');
    expect(await wrong.json()).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid credentials' });
  });

  it('reports every component: healthy, unhealthy, unreachable, and each agent', async () => {
    const res = await fetch(`${base}/api/v1/status`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as StatusReport;
    expect(report.healthy).toBe(false);
    const rows = report.components.map((c) => [c.name, c.instance ?? null, c.state]);
    expect(rows).toEqual([
      ['nats', expect.any(String), 'healthy'],
      ['registry', 'r1', 'healthy'],
      ['layer-store', 'l1', 'unhealthy'],
      ['scheduler', null, 'unreachable'],
      ['api', expect.stringMatching(/:\d+$/), 'healthy'],
      ['node-agent', 'node-a', 'healthy'],
      ['node-agent', 'node-b', 'healthy'],
    ]);
    expect(report.components.find((c) => c.name === 'scheduler')?.error).toMatch(/no service answers silo\.scheduler\.health/);
    expect(report.components[0]!.checks.find((c) => c.name === 'jetstream')?.status).toBe('pass');
  });

  it('keeps the password across restarts', async () => {
    const before = readFileSync(join(home.path, 'admin-credentials.json'), 'utf8');
    await api.stop();
    const port = await freePort();
    api = await bootstrapService({
      service: 'api',
      configClass: ApiConfig,
      module: (config) => ApiModule.forRoot(config),
      httpPort: (config) => config.port,
      env: {
        SILO_HOME: home.path,
        SILO_NATS_URL: nats.url,
        SILO_LOG_LEVEL: 'fatal',
        SILO_API_PORT: String(port),
        SILO_BIND_HOST: '127.0.0.1',
        SILO_DASHBOARD_DIR: join(home.path, 'no-dashboard'),
      },
    });
    const after = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8'));
    expect(after.password).toBe(JSON.parse(before).password);
    expect(after.apiUrl).toBe(`http://127.0.0.1:${port}`);
  });

  it('answers a "not built" page at / while the dashboard is missing', async () => {
    const port = Number(/:(\d+)$/.exec(JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')).apiUrl)![1]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('dashboard is not built');
    const api = await fetch(`http://127.0.0.1:${port}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
