import { HealthReply } from '@silo/contracts';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayerStoreConfig } from './config/layer-store.config';
import { LayerStoreModule } from './layer-store.module';

async function startLayerStore(home: string, natsUrl: string, extra: Record<string, string> = {}) {
  const port = await freePort();
  const service = await bootstrapService({
    service: 'layer-store',
    configClass: LayerStoreConfig,
    module: (config) => LayerStoreModule.forRoot(config),
    httpPort: (config) => config.port,
    env: { SILO_HOME: home, SILO_NATS_URL: natsUrl, SILO_LOG_LEVEL: 'fatal', SILO_LAYER_STORE_PORT: String(port), SILO_BIND_HOST: '127.0.0.1', ...extra },
  });
  return { service, base: `http://127.0.0.1:${port}` };
}

describe('layer store service', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  const running: RunningService[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir();
  });

  afterAll(async () => {
    for (const s of running) await s.stop();
    await nats?.stop();
    await home?.cleanup();
  });

  it('is healthy with a writable blob root under SILO_HOME', async () => {
    const { service, base } = await startLayerStore(home.path, nats.url);
    running.push(service);
    const body = await waitFor(async () => {
      const res = await fetch(`${base}/healthz`);
      return res.status === 200 ? ((await res.json()) as HealthReply) : undefined;
    });
    expect(body.checks.map((c) => c.name).sort()).toEqual(['blob-store', 'nats']);
    expect(existsSync(join(home.path, 'layer-store'))).toBe(true);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('silo_service_info');
  });

  it('reports an unusable blob root as unhealthy (503) with the reason', async () => {
    const notADir = join(home.path, 'occupied');
    writeFileSync(notADir, 'a file where the blob root should be');
    const { service, base } = await startLayerStore(home.path, nats.url, { SILO_LAYER_STORE_ROOT: notADir });
    running.push(service);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthReply;
    expect(body.checks.find((c) => c.name === 'blob-store')).toMatchObject({ status: 'fail', message: expect.stringContaining('EEXIST') });
  });
});
