import {
  BlobDeleteReply,
  BlobListReply,
  BlobStatReply,
  HealthReply,
  StoreUsageReply,
  Subjects,
  UploadPurgeReply,
} from '@silo/contracts';
import { signedQuery, SignatureScope } from '@silo/domain';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService, SecretStore } from '@silo/service-kit';
import { freePort, makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { LayerStoreConfig } from './config/layer-store.config';
import { LayerStoreModule } from './layer-store.module';

const MiB = 1024 * 1024;
const quiet = { log() {}, warn() {}, error() {} };

async function startLayerStore(home: string, natsUrl: string, extra: Record<string, string> = {}) {
  const port = await freePort();
  const service = await bootstrapService({
    service: 'layer-store',
    configClass: LayerStoreConfig,
    module: (config) => LayerStoreModule.forRoot(config),
    httpPort: (config) => config.port,
    bodyParser: false,
    env: { SILO_HOME: home, SILO_NATS_URL: natsUrl, SILO_LOG_LEVEL: 'fatal', SILO_LAYER_STORE_PORT: String(port), SILO_BIND_HOST: '127.0.0.1', ...extra },
  });
  return { service, base: `http://127.0.0.1:${port}` };
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

describe('layer store service', () => {
  let nats: NatsServerHandle | undefined;
  let home: TempDir | undefined;
  let connection: NatsConnectionService | undefined;
  let client: NatsClient;
  let secret: Buffer;
  let store: RunningService | undefined;
  let base: string;
  const others: RunningService[] = [];

  const now = () => Date.now() / 1000;
  /** A URL for `path` signed as the registry would sign it. */
  const signed = (path: string, scope: SignatureScope, { ttl = 60, at = now(), query = '' } = {}) =>
    `${base}${path}?${query ? `${query}&` : ''}${signedQuery(secret, scope, path, at, ttl)}`;
  const read = (path: string, init: RequestInit = {}) => fetch(signed(path, 'read'), init);
  const write = (path: string, init: RequestInit = {}, query = '') => fetch(signed(path, 'write', { query }), init);

  const startStore = async () => {
    const started = await startLayerStore(home!.path, nats!.url);
    store = started.service;
    base = started.base;
    await waitFor(() => client.request(Subjects.health('layer-store'), {}, { reply: HealthReply, timeoutMs: 500 }), { description: 'layer-store on NATS' });
  };
  const stopStore = async () => {
    const running = store;
    store = undefined;
    await running?.stop();
  };

  const createUpload = async (): Promise<string> => {
    const res = await write('/uploads', { method: 'POST' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; size: number };
    expect(body.size).toBe(0);
    expect(res.headers.get('location')).toBe(`/uploads/${body.id}`);
    return body.id;
  };
  const patch = (id: string, offset: number | string, body: Uint8Array) =>
    write(`/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': String(offset) }, body });
  const commit = (id: string, digest: string, init: RequestInit = {}) =>
    write(`/uploads/${id}`, { method: 'PUT', ...init }, `digest=${encodeURIComponent(digest)}`);
  const push = async (data: Buffer): Promise<string> => {
    const id = await createUpload();
    const res = await commit(id, sha256(data), { headers: { 'Upload-Offset': '0' }, body: data });
    expect(res.status).toBe(201);
    return sha256(data);
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line ? Number(line.split(' ').pop()) : Number.NaN;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir();
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    await connection.ready();
    client = new NatsClient(connection, 5000);
    secret = new SecretStore(home.path).getOrCreate('layer-store-signing');
    await startStore();
  });

  afterAll(async () => {
    // A response a failed test left open would keep a service from stopping: bound each stop,
    // so that NATS and the temp dir are always cleaned up.
    const bounded = (stopping: Promise<unknown>) =>
      Promise.race([stopping.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await bounded(stopStore());
    for (const s of others) await bounded(s.stop());
    await connection?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  describe('health', () => {
    it('is healthy with a writable blob root under SILO_HOME', async () => {
      const body = await waitFor(async () => {
        const res = await fetch(`${base}/healthz`);
        return res.status === 200 ? ((await res.json()) as HealthReply) : undefined;
      });
      expect(body.checks.map((c) => c.name).sort()).toEqual(['blob-store', 'nats']);
      expect(existsSync(join(home!.path, 'layer-store'))).toBe(true);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('silo_service_info');
    });

    it('reports an unusable blob root as unhealthy (503) with the reason', async () => {
      const notADir = join(home!.path, 'occupied');
      writeFileSync(notADir, 'a file where the blob root should be');
      const { service, base: other } = await startLayerStore(home!.path, nats!.url, { SILO_LAYER_STORE_ROOT: notADir });
      others.push(service);
      try {
        const res = await fetch(`${other}/healthz`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as HealthReply;
        expect(body.checks.find((c) => c.name === 'blob-store')).toMatchObject({ status: 'fail', message: expect.stringContaining('EEXIST') });
      } finally {
        // It shares the NATS queue group: stop it so that control-plane requests reach the real store.
        await service.stop();
      }
    });
  });

  describe('data plane', () => {
    const data = randomBytes(300_000);
    const digest = sha256(data);

    it('uploads in chunks with PATCH, refuses a wrong offset, commits with a final chunk', async () => {
      const id = await createUpload();
      let res = await patch(id, 0, data.subarray(0, 100_000));
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ id, size: 100_000 });
      expect(res.headers.get('upload-offset')).toBe('100000');

      res = await patch(id, 50_000, data.subarray(50_000, 200_000));
      expect(res.status).toBe(416);
      expect(res.headers.get('upload-offset')).toBe('100000');
      expect(await res.json()).toMatchObject({ code: 'RANGE_INVALID', message: expect.stringContaining('100000'), details: { size: 100_000 } });

      res = await write(`/uploads/${id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id, size: 100_000 });

      res = await patch(id, 100_000, data.subarray(100_000, 200_000));
      expect(await res.json()).toEqual({ id, size: 200_000 });

      res = await commit(id, digest, { headers: { 'Upload-Offset': '200000' }, body: data.subarray(200_000) });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ digest, size: 300_000 });
      expect(res.headers.get('docker-content-digest')).toBe(digest);

      res = await write(`/uploads/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    });

    it('serves the blob with its headers, and HEAD without a body', async () => {
      let res = await read(`/blobs/${digest}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
      expect(Object.fromEntries(['content-length', 'content-type', 'docker-content-digest', 'etag', 'accept-ranges', 'cache-control'].map((h) => [h, res.headers.get(h)]))).toEqual({
        'content-length': '300000',
        'content-type': 'application/octet-stream',
        'docker-content-digest': digest,
        etag: `"${digest}"`,
        'accept-ranges': 'bytes',
        'cache-control': 'max-age=31536000, immutable',
      });
      res = await read(`/blobs/${digest}`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('300000');
      expect(res.headers.get('docker-content-digest')).toBe(digest);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('serves byte ranges (206) and refuses unsatisfiable ones (416 with Content-Range)', async () => {
      const cases: Array<[string, number, number]> = [
        ['bytes=0-9', 0, 9],
        ['bytes=299990-', 299_990, 299_999],
        ['bytes=-5', 299_995, 299_999],
        ['bytes=100-999999', 100, 299_999],
        ['bytes=0-0', 0, 0],
      ];
      for (const [range, start, end] of cases) {
        const res = await read(`/blobs/${digest}`, { headers: { Range: range } });
        expect(res.status).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/300000`);
        expect(res.headers.get('content-length')).toBe(String(end - start + 1));
        expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(start, end + 1))).toBe(true);
      }
      const head = await read(`/blobs/${digest}`, { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
      expect(head.status).toBe(206);
      expect(head.headers.get('content-range')).toBe('bytes 10-19/300000');
      for (const range of ['bytes=300000-', 'bytes=5-4', 'bytes=-0', 'bytes=x-y']) {
        const res = await read(`/blobs/${digest}`, { headers: { Range: range } });
        expect(res.status).toBe(416);
        expect(res.headers.get('content-range')).toBe('bytes */300000');
        expect(await res.json()).toMatchObject({ code: 'RANGE_INVALID' });
      }
    });

    it('answers an unknown blob with 404 BLOB_UNKNOWN', async () => {
      const res = await read(`/blobs/${sha256(Buffer.from('nothing'))}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'BLOB_UNKNOWN' });
      const head = await read(`/blobs/${sha256(Buffer.from('nothing'))}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
    });

    it('deletes nothing on a digest mismatch: 400 DIGEST_INVALID and the upload is gone', async () => {
      const id = await createUpload();
      const content = randomBytes(1000);
      await patch(id, 0, content);
      const claimed = sha256(Buffer.from('other content'));
      const res = await commit(id, claimed);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
      expect((await write(`/uploads/${id}`)).status).toBe(404);
      expect((await read(`/blobs/${claimed}`)).status).toBe(404);
      expect((await read(`/blobs/${sha256(content)}`)).status).toBe(404);
      expect(readdirSync(join(home!.path, 'layer-store', 'uploads'))).not.toContain(id);
    });

    it('cancels an upload with DELETE (204), then it is unknown', async () => {
      const id = await createUpload();
      await patch(id, 0, Buffer.from('abc'));
      expect((await write(`/uploads/${id}`, { method: 'DELETE' })).status).toBe(204);
      const res = await write(`/uploads/${id}`, { method: 'DELETE' });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    });

    it('resumes an upload after the service restarts on the same SILO_HOME', async () => {
      const content = randomBytes(500_000);
      const id = await createUpload();
      await patch(id, 0, content.subarray(0, 123_456));
      await stopStore();
      await startStore();
      expect(await (await read(`/blobs/${digest}`)).arrayBuffer()).toHaveProperty('byteLength', 300_000);
      const status = (await (await write(`/uploads/${id}`)).json()) as { size: number };
      expect(status.size).toBe(123_456);
      const res = await patch(id, status.size, content.subarray(status.size));
      expect(await res.json()).toEqual({ id, size: 500_000 });
      const committed = await commit(id, sha256(content));
      expect(committed.status).toBe(201);
      expect(Buffer.from(await (await read(`/blobs/${sha256(content)}`)).arrayBuffer()).equals(content)).toBe(true);
    });

    it('keeps what arrived when a client drops mid-PATCH, and the upload resumes from there', async () => {
      const content = randomBytes(1024 * 1024);
      const id = await createUpload();
      const path = `/uploads/${id}`;
      const url = new URL(signed(path, 'write'));
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({
          host: url.hostname,
          port: url.port,
          method: 'PATCH',
          path: `${url.pathname}${url.search}`,
          headers: { 'Upload-Offset': '0', 'Content-Length': String(content.length) },
        });
        req.on('error', () => resolve()); // the request is cut off on purpose
        req.write(content.subarray(0, 300 * 1024), (err) => {
          if (err) return reject(err);
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 200);
        });
      });
      const size = await waitFor(
        async () => {
          const status = (await (await write(path)).json()) as { size: number };
          return status.size === 300 * 1024 ? status.size : undefined;
        },
        { description: 'the 300 KiB that arrived kept in the upload' },
      );
      const res = await patch(id, size, content.subarray(size));
      expect(await res.json()).toEqual({ id, size: content.length });
      expect((await commit(id, sha256(content))).status).toBe(201);
      expect(Buffer.from(await (await read(`/blobs/${sha256(content)}`)).arrayBuffer()).equals(content)).toBe(true);
    });

    it('streams a 20 MiB upload to disk while it arrives, and streams it back', async () => {
      const total = 20 * MiB;
      const chunk = randomBytes(MiB);
      const hash = createHash('sha256');
      let sent = 0;
      let release!: () => void;
      const halfway = new Promise<void>((resolve) => (release = resolve));
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === total / 2) await halfway; // hold the request open mid-body
          if (sent === total) return controller.close();
          const piece = Buffer.from(chunk);
          piece.writeUInt32BE(sent / MiB, 0); // every MiB differs
          hash.update(piece);
          sent += piece.length;
          controller.enqueue(piece);
        },
      });
      const writtenBefore = await metric('silo_layer_store_bytes_written_total');
      const id = await createUpload();
      const pending = fetch(signed(`/uploads/${id}`, 'write'), {
        method: 'PATCH',
        headers: { 'Upload-Offset': '0' },
        body,
        duplex: 'half',
      } as RequestInit);
      try {
        // Before the request is complete, its first half is already in the upload's file.
        await waitFor(async () => ((await (await write(`/uploads/${id}`)).json()) as { size: number }).size === total / 2, {
          timeoutMs: 20_000,
          description: 'the first 10 MiB on disk while the request is still open',
        });
      } finally {
        release(); // never leave the request hanging (the service could not stop)
      }
      const res = await pending;
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ id, size: total });
      const digest20 = `sha256:${hash.digest('hex')}`;
      expect((await commit(id, digest20)).status).toBe(201);
      expect((await metric('silo_layer_store_bytes_written_total')) - writtenBefore).toBe(total);

      const readBefore = await metric('silo_layer_store_bytes_read_total');
      const download = await read(`/blobs/${digest20}`);
      expect(download.headers.get('content-length')).toBe(String(total));
      const check = createHash('sha256');
      let received = 0;
      for await (const part of download.body as unknown as AsyncIterable<Uint8Array>) {
        check.update(part);
        received += part.length;
      }
      expect(received).toBe(total);
      expect(`sha256:${check.digest('hex')}`).toBe(digest20);
      expect((await metric('silo_layer_store_bytes_read_total')) - readBefore).toBe(total);
    });
  });

  describe('signatures', () => {
    let digest: string;
    beforeAll(async () => {
      digest = await push(Buffer.from('signed content'));
    });

    it('refuses a request without a signature: 401 UNAUTHORIZED', async () => {
      for (const [method, path] of [
        ['GET', `/blobs/${digest}`],
        ['HEAD', `/blobs/${digest}`],
        ['POST', '/uploads'],
        ['GET', '/uploads/00000000-0000-4000-8000-000000000000'],
      ]) {
        const res = await fetch(`${base}${path}`, { method });
        expect(res.status).toBe(401);
        if (method !== 'HEAD') expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      }
      expect((await fetch(`${base}/blobs/${digest}?expires=${Math.floor(now()) + 60}`)).status).toBe(401);
    });

    it('refuses a wrong signature: 403 DENIED', async () => {
      const good = signed(`/blobs/${digest}`, 'read');
      const tampered = good.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
      const wrongs = [
        tampered,
        good.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 1000}`), // a longer life than signed
        signed(`/blobs/${digest}`, 'write'), // the wrong scope
        `${base}/blobs/${digest}?${signed('/blobs/' + sha256(Buffer.from('x')), 'read').split('?')[1]}`, // another path's
        `${base}/blobs/${digest}?expires=abc&sig=${'0'.repeat(64)}`,
      ];
      for (const url of wrongs) {
        const res = await fetch(url);
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: 'DENIED' });
      }
      const readScopedUpload = await fetch(signed('/uploads', 'read'), { method: 'POST' });
      expect(readScopedUpload.status).toBe(403);
    });

    it('refuses an expired signature: 403 DENIED "signature expired"', async () => {
      const res = await fetch(signed(`/blobs/${digest}`, 'read', { at: now() - 120, ttl: 60 }));
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ code: 'DENIED', message: 'signature expired' });
      const upload = await fetch(signed('/uploads', 'write', { at: now() - 120, ttl: 60 }), { method: 'POST' });
      expect(upload.status).toBe(403);
    });

    it('needs no signature for /healthz and /metrics', async () => {
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      expect([200, 503]).toContain((await fetch(`${base}/healthz`)).status);
    });
  });

  describe('bad input', () => {
    const rawGet = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(base);
        const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });

    it('refuses malformed digests in the path with 400 DIGEST_INVALID, even when signed', async () => {
      for (const bad of ['not-a-digest', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `md5:${'a'.repeat(32)}`, '...', 'sha256:']) {
        const res = await read(`/blobs/${bad}`);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
      }
    });

    it('never serves files outside the store for traversal attempts', async () => {
      const encoded = '/blobs/..%2F..%2Fetc%2Fpasswd';
      let res = await fetch(`${base}${encoded}`);
      expect(res.status).toBe(401);
      res = await read(encoded);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
      res = await read('/blobs/sha256%3A..%2F..%2F..%2Fkeys%2Flayer-store-signing.key');
      expect(res.status).toBe(400);
      for (const path of ['/blobs/../../etc/passwd', '/blobs/..%2f..%2fetc%2fpasswd', '/uploads/../keys/layer-store-signing.key']) {
        const raw = await rawGet(`${path}?${signedQuery(secret, 'read', path, now(), 60)}`);
        expect(raw.status).toBeGreaterThanOrEqual(400);
        expect(raw.body).not.toContain('root:');
      }
      const upload = await write('/uploads/..%2F..%2Fkeys', { method: 'PATCH', headers: { 'Upload-Offset': '0' }, body: Buffer.from('x') });
      expect(upload.status).toBe(404);
      expect(await upload.json()).toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
    });

    it('answers odd paths and headers with 4xx, never 500', async () => {
      const id = await createUpload();
      const probes: Array<[string, string, RequestInit?]> = [
        ['read', '/blobs/%ZZ'],
        ['read', '/blobs/sha256%3A%00'],
        ['write', '/uploads/%ZZ'],
        ['write', '/uploads/%00'],
        ['write', `/uploads/${id.toUpperCase()}`],
        ['write', `/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': '9'.repeat(40) }, body: Buffer.from('x') }],
        ['write', `/uploads/${id}`, { method: 'PATCH', headers: { 'Upload-Offset': '5' }, body: Buffer.from('x') }],
      ];
      for (const [scope, path, init] of probes) {
        const res = await fetch(signed(path, scope as SignatureScope), init);
        expect([400, 404, 416]).toContain(res.status);
      }
      expect(await (await write(`/uploads/${id}`)).json()).toEqual({ id, size: 0 });
    });

    it('refuses a missing or non-numeric Upload-Offset with 400 VALIDATION_FAILED and keeps the upload', async () => {
      const id = await createUpload();
      for (const offset of ['abc', '-1', '1.5', '0x10', '']) {
        const res = await patch(id, offset, Buffer.from('data'));
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('Upload-Offset') });
      }
      const missing = await write(`/uploads/${id}`, { method: 'PATCH', body: Buffer.from('data') });
      expect(missing.status).toBe(400);
      const noOffsetOnPut = await commit(id, sha256(Buffer.from('data')), { body: Buffer.from('data') });
      expect(noOffsetOnPut.status).toBe(400);
      expect(await noOffsetOnPut.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await (await write(`/uploads/${id}`)).json()).toEqual({ id, size: 0 });
    });

    it('refuses a commit without a valid digest before taking the body', async () => {
      const id = await createUpload();
      let res = await write(`/uploads/${id}`, { method: 'PUT' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
      res = await commit(id, 'sha256:../../etc', { headers: { 'Upload-Offset': '0' }, body: Buffer.from('data') });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'DIGEST_INVALID' });
      expect(await (await write(`/uploads/${id}`)).json()).toEqual({ id, size: 0 });
    });
  });

  describe('control plane (NATS)', () => {
    it('answers stat for a stored and a missing blob', async () => {
      const digest = await push(Buffer.from('stat me'));
      const stat = await client.request(Subjects.blobStat, { digest }, { reply: BlobStatReply });
      expect(stat).toMatchObject({ digest, exists: true, size: 7 });
      expect(Date.parse(stat.committedAt!)).toBeGreaterThan(Date.now() - 60_000);
      const missing = sha256(Buffer.from('never'));
      expect(await client.request(Subjects.blobStat, { digest: missing }, { reply: BlobStatReply })).toEqual({ digest: missing, exists: false });
    });

    it('lists blobs in digest order, paged', async () => {
      const all: string[] = [];
      let after: string | undefined;
      do {
        const page: BlobListReply = await client.request(Subjects.blobList, after ? { after, limit: 2 } : { limit: 2 }, { reply: BlobListReply });
        expect(page.blobs.length).toBeLessThanOrEqual(2);
        all.push(...page.blobs.map((b) => b.digest));
        after = page.next;
      } while (after);
      expect(all).toEqual([...all].sort());
      expect(all.length).toBeGreaterThanOrEqual(4);
      const { blobs } = await client.request(Subjects.blobList, {}, { reply: BlobListReply });
      expect(blobs.map((b) => b.digest)).toEqual(all);
    });

    it('reports usage', async () => {
      const before = await client.request(Subjects.storeUsage, {}, { reply: StoreUsageReply });
      await push(randomBytes(4321));
      const after = await client.request(Subjects.storeUsage, {}, { reply: StoreUsageReply });
      expect(after).toMatchObject({ backend: 'filesystem', blobs: before.blobs + 1, bytes: before.bytes + 4321 });
    });

    it('deletes a blob honouring ifCommittedBefore; a read already open finishes', async () => {
      const content = randomBytes(8 * MiB);
      const digest = await push(content);
      const past = new Date(Date.now() - 3600_000).toISOString();
      expect(await client.request(Subjects.blobDelete, { digest, ifCommittedBefore: past }, { reply: BlobDeleteReply })).toEqual({
        digest,
        deleted: false,
        freedBytes: 0,
      });
      const download = await read(`/blobs/${digest}`);
      const reader = (download.body as ReadableStream<Uint8Array>).getReader();
      try {
        const parts: Uint8Array[] = [(await reader.read()).value!];
        const future = new Date(Date.now() + 1000).toISOString();
        expect(await client.request(Subjects.blobDelete, { digest, ifCommittedBefore: future }, { reply: BlobDeleteReply })).toEqual({
          digest,
          deleted: true,
          freedBytes: 8 * MiB,
        });
        for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
        expect(Buffer.concat(parts).equals(content)).toBe(true);
      } finally {
        await reader.cancel().catch(() => undefined); // a response left open would keep the service from stopping
      }
      expect((await read(`/blobs/${digest}`)).status).toBe(404);
      expect(await client.request(Subjects.blobDelete, { digest }, { reply: BlobDeleteReply })).toEqual({ digest, deleted: false, freedBytes: 0 });
    });

    it('purges uploads untouched for longer than asked', async () => {
      const id = await createUpload();
      await patch(id, 0, Buffer.alloc(99));
      expect(await client.request(Subjects.uploadPurge, { olderThanSeconds: 3600 }, { reply: UploadPurgeReply })).toMatchObject({ purged: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const purged = await client.request(Subjects.uploadPurge, { olderThanSeconds: 1 }, { reply: UploadPurgeReply });
      expect(purged.purged).toBeGreaterThanOrEqual(1);
      expect(purged.freedBytes).toBeGreaterThanOrEqual(99);
      expect((await write(`/uploads/${id}`)).status).toBe(404);
      expect(await client.request(Subjects.storeUsage, {}, { reply: StoreUsageReply })).toMatchObject({ uploads: 0, uploadBytes: 0 });
    });

    it('refuses invalid requests with VALIDATION_FAILED', async () => {
      await expect(client.request(Subjects.blobStat, { digest: '../../etc/passwd' }, { reply: BlobStatReply })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(client.request(Subjects.blobDelete, { digest: sha256(Buffer.from('x')), ifCommittedBefore: 'yesterday' }, { reply: BlobDeleteReply })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(client.request(Subjects.blobList, { limit: 0 }, { reply: BlobListReply })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(client.request(Subjects.uploadPurge, {}, { reply: UploadPurgeReply })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(client.request(Subjects.storeUsage, { extra: 1 }, { reply: StoreUsageReply })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
});
