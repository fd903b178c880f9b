import { HealthReply, Subjects } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { RegistryConfig } from './config/registry.config';
import { RegistryModule } from './registry.module';

const quiet = { log() {}, warn() {}, error() {} };

describe('registry service (HTTP + NATS)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let registry: RunningService;
  let base: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    await nats.kill(); // NATS is down when the registry starts
    home = await makeTempDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    registry = await bootstrapService({
      service: 'registry',
      configClass: RegistryConfig,
      module: (config) => RegistryModule.forRoot(config),
      httpPort: (config) => config.port,
      bodyParser: false,
      env: { SILO_HOME: home.path, SILO_NATS_URL: nats.url, SILO_LOG_LEVEL: 'fatal', SILO_REGISTRY_PORT: String(port), SILO_BIND_HOST: '127.0.0.1' },
    });
  });

  afterAll(async () => {
    await registry?.stop();
    await nats?.stop();
    await home?.cleanup();
  });

  it('serves /healthz while NATS is unreachable, as 503 naming the failing check', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthReply;
    expect(body.status).toBe('fail');
    const nats = body.checks.find((c) => c.name === 'nats');
    expect(nats).toMatchObject({ status: 'fail', message: expect.stringContaining('not connected') });
    expect(body.checks.find((c) => c.name === 'database')?.status).toBe('pass');
    expect(body.checks.find((c) => c.name === 'disk')?.status).toBe('pass');
  });

  it('becomes healthy once NATS comes, and answers silo.registry.health', async () => {
    await nats.start();
    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 200, { timeoutMs: 15_000, description: 'registry healthy' });
    const connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    await connection.ready();
    try {
      const reply = await new NatsClient(connection).request(Subjects.health('registry'), {}, { reply: HealthReply });
      expect(reply).toMatchObject({ service: 'registry', status: 'pass' });
      expect(reply.checks.map((c) => c.name).sort()).toEqual(['database', 'disk', 'nats']);
    } finally {
      await connection.close();
    }
  });

  it('exposes Prometheus metrics, counting the requests it served', async () => {
    await fetch(`${base}/healthz`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/silo_service_info\{version="[^"]+",instance="[^"]+",service="registry"\} 1/);
    expect(text).toMatch(/silo_http_requests_total\{method="GET",route="\/healthz",status="200",service="registry"\} \d+/);
    expect(text).toMatch(/silo_nats_connected\{service="registry"\} 1/);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('answers unknown routes with the structured error body', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('/nope') });
  });
});
