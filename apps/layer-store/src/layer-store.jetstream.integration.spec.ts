import { BlobDeleteReply, BlobListReply, HealthReply, StoreUsageReply, Subjects, UploadPurgeReply } from '@silo/contracts';
import { signedQuery, SignatureScope } from '@silo/domain';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService, SecretStore } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LayerStoreConfig } from './config/layer-store.config';
import { LayerStoreModule } from './layer-store.module';

const quiet = { log() {}, warn() {}, error() {} };
const BUCKET = 'it-blobs';

async function startLayerStore(home: string, natsUrl: string) {
  const port = await freePort();
  const service = await bootstrapService({
    service: 'layer-store',
    configClass: LayerStoreConfig,
    module: (config) => LayerStoreModule.forRoot(config),
    httpPort: (config) => config.port,
    bodyParser: false,
    env: {
      SILO_HOME: home,
      SILO_NATS_URL: natsUrl,
      SILO_LOG_LEVEL: 'fatal',
      SILO_LAYER_STORE_PORT: String(port),
      SILO_BIND_HOST: '127.0.0.1',
      SILO_LAYER_STORE_BACKEND: 'jetstream',
      SILO_LAYER_STORE_JETSTREAM_BUCKET: BUCKET,
    },
  });
  return { service, base: `http://127.0.0.1:${port}` };
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('layer store service on the JetStream backend', () => {
  let nats: NatsServerHandle | undefined;
  let home: TempDir | undefined;
  let connection: NatsConnectionService | undefined;
  let client: NatsClient;
  let secret: Buffer;
  let store: RunningService | undefined;
  let base: string;

  const signed = (path: string, scope: SignatureScope, query = '') => `${base}${path}?${query ? `${query}&` : ''}${signedQuery(secret, scope, path, Date.now() / 1000, 60)}`;
  const read = (path: string, init: RequestInit = {}) => fetch(signed(path, 'read'), init);
  const write = (path: string, init: RequestInit = {}, query = '') => fetch(signed(path, 'write', query), init);
  const start = async () => {
    const started = await startLayerStore(home!.path, nats!.url);
    store = started.service;
    base = started.base;
    await waitFor(() => client.request(Subjects.health('layer-store'), {}, { reply: HealthReply, timeoutMs: 500 }), { description: 'layer-store on NATS' });
  };
  const stop = async () => {
    const running = store;
    store = undefined;
    // A response a failed test left open would keep the service from stopping: bound the stop.
    await Promise.race([running?.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  };

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    home = await makeTempDir();
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    await connection.ready();
    client = new NatsClient(connection, 5000);
    secret = new SecretStore(home.path).getOrCreate('layer-store-signing');
    await start();
  });

  afterAll(async () => {
    await stop();
    await connection?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  it('is healthy with its bucket in JetStream and nothing under SILO_HOME/layer-store', async () => {
    const body = await waitFor(async () => {
      const res = await fetch(`${base}/healthz`);
      return res.status === 200 ? ((await res.json()) as HealthReply) : undefined;
    });
    expect(body.checks.find((c) => c.name === 'blob-store')).toMatchObject({ status: 'pass', message: expect.stringContaining(`bucket ${BUCKET}`) });
    expect(existsSync(join(home!.path, 'layer-store'))).toBe(false);
  });

  it('uploads in chunks, commits, serves ranges, and keeps it all across a restart', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 777);
    const digest = sha256(data);
    let res = await write('/uploads', { method: 'POST' });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    res = await write(`/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': '0' }, body: data.subarray(0, 1_000_000) });
    expect(res.status).toBe(202);
    expect(res.headers.get('upload-offset')).toBe('1000000');
    res = await write(`/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': '5' }, body: data.subarray(5, 10) });
    expect(res.status).toBe(416);
    expect(res.headers.get('upload-offset')).toBe('1000000');

    // An upload in progress survives a restart of the service.
    await stop();
    await start();
    res = await write(`/uploads/${id}`);
    expect(await res.json()).toEqual({ id, size: 1_000_000 });
    res = await write(`/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': '1000000' }, body: data.subarray(1_000_000, 2_500_000) });
    expect(await res.json()).toEqual({ id, size: 2_500_000 });
    res = await write(`/uploads/${id}`, { method: 'PUT', headers: { 'Upload-Offset': '2500000' }, body: data.subarray(2_500_000) }, `digest=${encodeURIComponent(digest)}`);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ digest, size: data.length });

    res = await read(`/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(data.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    for (const [range, from, to] of [
      ['bytes=0-9', 0, 9],
      ['bytes=2000000-2000099', 2_000_000, 2_000_099],
      ['bytes=-5', data.length - 5, data.length - 1],
    ] as Array<[string, number, number]>) {
      res = await read(`/blobs/${digest}`, { headers: { Range: range } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${from}-${to}/${data.length}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(from, to + 1))).toBe(true);
    }
    res = await read(`/blobs/${digest}`, { headers: { Range: `bytes=${data.length}-` } });
    expect(res.status).toBe(416);

    const usage = await client.request(Subjects.storeUsage, {}, { reply: StoreUsageReply });
    expect(usage).toEqual({ backend: 'jetstream', blobs: 1, bytes: data.length, uploads: 0, uploadBytes: 0 });
    const { blobs } = await client.request(Subjects.blobList, {}, { reply: BlobListReply });
    expect(blobs.map((b) => b.digest)).toEqual([digest]);

    // A digest mismatch stores nothing and removes the upload.
    res = await write('/uploads', { method: 'POST' });
    const other = ((await res.json()) as { id: string }).id;
    res = await write(`/uploads/${other}`, { method: 'PUT', headers: { 'Upload-Offset': '0' }, body: Buffer.from('not it') }, `digest=${encodeURIComponent(sha256(Buffer.from('it')))}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
    expect((await write(`/uploads/${other}`)).status).toBe(404);

    expect(await client.request(Subjects.blobDelete, { digest }, { reply: BlobDeleteReply })).toEqual({ digest, deleted: true, freedBytes: data.length });
    expect((await read(`/blobs/${digest}`)).status).toBe(404);
    expect(await client.request(Subjects.uploadPurge, { olderThanSeconds: 0 }, { reply: UploadPurgeReply })).toEqual({ purged: 0, freedBytes: 0 });

    // The deleted blob's chunks wait out their grace period for open reads, or a stop.
    const jsm = await connection!.require().jetstreamManager();
    const chunks = async () => (await jsm.streams.info(`OBJ_${BUCKET}`, { subjects_filter: `$O.${BUCKET}.C.>` })).state.subjects ?? {};
    expect(Object.keys(await chunks())).toHaveLength(1);
    await stop();
    expect(await chunks()).toEqual({});
  });
});
