import { NatsConnectionService } from '@silo/messaging';
import { NatsServerHandle, startNatsServer } from '@silo/testing';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobBackendHarness, describeBlobBackendConformance, digestOf } from './blob-backend.conformance';
import { JetStreamBlobBackend, JetStreamBlobBackendOptions } from './jetstream-blob-backend';

const quiet = { log() {}, warn() {}, error() {} };

let server: Promise<NatsServerHandle> | undefined;
let buckets = 0;

/** One JetStream nats-server for the whole file (started on first use). */
function nats(): Promise<NatsServerHandle> {
  server ??= startNatsServer({ jetstream: true });
  return server;
}

async function connect(): Promise<NatsConnectionService> {
  const connection = new NatsConnectionService({ url: (await nats()).url, name: 'layer-store-test', logger: quiet });
  await connection.ready();
  return connection;
}

interface JetStreamHarness extends BlobBackendHarness {
  backend: JetStreamBlobBackend;
  bucket: string;
  /** A backend on its own connection to the same buckets (another replica, or after a restart). */
  open(options?: JetStreamBlobBackendOptions): Promise<JetStreamBlobBackend>;
  connection: NatsConnectionService;
}

/** Fresh buckets on the shared server; `reopen()` = a new backend on a new connection. */
async function harness(options: JetStreamBlobBackendOptions = {}): Promise<JetStreamHarness> {
  buckets += 1;
  const bucket = `test-${buckets}-${randomBytes(3).toString('hex')}`;
  const connections: NatsConnectionService[] = [];
  const backends: JetStreamBlobBackend[] = [];
  const open = async (extra: JetStreamBlobBackendOptions = {}) => {
    const connection = await connect();
    connections.push(connection);
    const backend = new JetStreamBlobBackend(connection, { bucket, ...options, ...extra });
    backends.push(backend);
    return backend;
  };
  const backend = await open();
  return {
    backend,
    bucket,
    open,
    connection: connections[0]!,
    reopen: () => open(),
    cleanup: async () => {
      for (const b of backends) await b.close();
      const jsm = await connections[0]!.require().jetstreamManager();
      for (const stream of [`OBJ_${bucket}`, `KV_${bucket}-uploads`]) await jsm.streams.delete(stream).catch(() => undefined);
      for (const c of connections) await c.close();
    },
  };
}

afterAll(async () => {
  await (await server)?.stop();
});

describeBlobBackendConformance('jetstream', () => harness());

/** Small chunks, so that a few hundred KiB make many chunk messages. */
describeBlobBackendConformance('jetstream with 1 KiB chunks', () => harness({ chunkSize: 1024 }));

async function put(backend: JetStreamBlobBackend, data: Buffer, parts = [data.length], algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const id = await backend.createUpload();
  let offset = 0;
  for (const size of parts) offset = await backend.appendUpload(id, offset, Readable.from([data.subarray(offset, offset + size)]));
  if (offset < data.length) await backend.appendUpload(id, offset, Readable.from([data.subarray(offset)]));
  return (await backend.commitUpload(id, digestOf(data, algorithm))).digest;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JetStreamBlobBackend', () => {
  let h: JetStreamHarness | undefined;
  const make = async (options: JetStreamBlobBackendOptions = {}) => (h = await harness(options));

  afterEach(async () => {
    jest.restoreAllMocks();
    await h?.cleanup();
    h = undefined;
  });

  const jetstream = () => h!.connection.require().jetstream();
  const streamSubjects = async (): Promise<Record<string, number>> => {
    const jsm = await h!.connection.require().jetstreamManager();
    return (await jsm.streams.info(`OBJ_${h!.bucket}`, { subjects_filter: '>' })).state.subjects ?? {};
  };
  const chunkSubjects = async () => Object.keys(await streamSubjects()).filter((s) => s.startsWith(`$O.${h!.bucket}.C.`));

  describe('layout', () => {
    it('keeps the NATS object store layout: object-store clients read the blobs, never the uploads', async () => {
      const { backend, bucket } = await make({ chunkSize: 64 * 1024 });
      const a = randomBytes(300_000);
      const b = randomBytes(70_000);
      const da = await put(backend, a, [1000, 100_000]);
      const db = await put(backend, b, [b.length], 'sha512');
      const open = await backend.createUpload();
      await backend.appendUpload(open, 0, Readable.from([randomBytes(1000)]));

      const os = await jetstream().views.os(bucket);
      expect((await os.list()).map((o) => o.name).sort()).toEqual([da, db].sort());
      const info = await os.info(da);
      expect(info).toMatchObject({ name: da, size: 300_000, deleted: false, bucket });
      expect(info?.metadata?.['silo-committed-at']).toBe((await backend.stat(da))!.committedAt.toISOString());
      // getBlob verifies the object store's own SHA-256 of the whole object.
      expect(Buffer.from((await os.getBlob(da))!).equals(a)).toBe(true);
      expect(Buffer.from((await os.getBlob(db))!).equals(b)).toBe(true);

      await backend.delete(da);
      expect(await os.get(da)).toBeNull();
    });

    it('seeks a range by searching the chunks instead of reading from the start', async () => {
      const { backend } = await make({ chunkSize: 1024 });
      const uneven = randomBytes(400 * 1024);
      const contiguous = randomBytes(400 * 1024);
      // The uneven blob's appends have another upload's chunks between them in the stream.
      const other = await backend.createUpload();
      const id = await backend.createUpload();
      let offset = 0;
      for (const size of [1, 5000, 77_777, 100_000, uneven.length - 182_778]) {
        offset = await backend.appendUpload(id, offset, Readable.from([uneven.subarray(offset, offset + size)]));
        await backend.appendUpload(other, await backend.uploadSize(other), Readable.from([randomBytes(3000)]));
      }
      const digests = [(await backend.commitUpload(id, digestOf(uneven))).digest, await put(backend, contiguous)];
      const jsm = (await h!.connection.require().jetstreamManager()) as unknown as { direct: object };
      const gets = jest.spyOn(Object.getPrototypeOf(jsm.direct) as { getMessage: () => Promise<unknown> }, 'getMessage');
      for (const [i, data] of [uneven, contiguous].entries()) {
        for (const start of [0, 3, 5001, 82_777, 200_000, data.length - 1]) {
          gets.mockClear();
          const end = Math.min(start + 10, data.length - 1);
          expect((await readAll(await backend.openRead(digests[i]!, { start, end }))).equals(data.subarray(start, end + 1))).toBe(true);
          expect(gets.mock.calls.length).toBeGreaterThan(0);
          // 400 chunks: bisection is at most ~2 log2(400); interpolation finds even chunks at once.
          expect(gets.mock.calls.length).toBeLessThanOrEqual(data === contiguous ? 3 : 20);
        }
      }
    });
  });

  describe('crashes and replicas', () => {
    it('counts chunks an append stored after its record was last written (a crash mid-append)', async () => {
      const { backend, bucket } = await make({ chunkSize: 4096 });
      const data = randomBytes(30_000);
      const id = await backend.createUpload();
      expect(await backend.appendUpload(id, 0, Readable.from([data.subarray(0, 10_000)]))).toBe(10_000);
      // What a crashed append leaves: a chunk stored, the record not updated.
      const js = jetstream();
      const last = await (await h!.connection.require().jetstreamManager()).streams.getMessage(`OBJ_${bucket}`, { last_by_subj: `$O.${bucket}.C.${id}` });
      const { headers } = await import('nats');
      const hdrs = headers();
      hdrs.set('Silo-Offset', '10000');
      await js.publish(`$O.${bucket}.C.${id}`, data.subarray(10_000, 12_000), { headers: hdrs, expect: { lastSubjectSequence: last.seq } });

      const restarted = await h!.reopen();
      expect(await restarted.uploadSize(id)).toBe(12_000);
      expect(await restarted.usage()).toMatchObject({ uploads: 1, uploadBytes: 12_000 });
      await expect(restarted.appendUpload(id, 10_000, Readable.from([data.subarray(10_000)]))).rejects.toMatchObject({ details: { size: 12_000 } });
      expect(await restarted.appendUpload(id, 12_000, Readable.from([data.subarray(12_000)]))).toBe(30_000);
      expect(await restarted.commitUpload(id, digestOf(data))).toEqual({ digest: digestOf(data), size: 30_000 });
      expect((await readAll(await restarted.openRead(digestOf(data)))).equals(data)).toBe(true);
    });

    it('treats an upload whose commit was cut off after the blob became visible as committed', async () => {
      const { backend, bucket } = await make();
      const data = randomBytes(5000);
      const id = await backend.createUpload();
      await backend.appendUpload(id, 0, Readable.from([data]));
      const { digest } = await backend.commitUpload(id, digestOf(data));
      // The record the commit removes last, as if the process died just before removing it.
      const kv = await jetstream().views.kv(`${bucket}-uploads`);
      const old = new Date(Date.now() - 3600_000).toISOString();
      await kv.create(id, JSON.stringify({ createdAt: old, touchedAt: old, size: 0, firstSeq: 0, lastSeq: 0 }));

      const restarted = await h!.reopen();
      expect(await restarted.purgeUploads(new Date())).toEqual({ purged: 0, freedBytes: 0 });
      await expect(restarted.uploadSize(id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
      await expect(restarted.cancelUpload(id)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
      expect(await kv.get(id)).toBeNull();
      expect((await readAll(await restarted.openRead(digest))).equals(data)).toBe(true);
    });

    it('purges chunks nothing owns, and a deleted blob’s chunks after the grace period', async () => {
      const { backend, bucket } = await make({ deleteGraceMs: 300 });
      const kept = await put(backend, randomBytes(2000));
      const doomed = await put(backend, randomBytes(3000));
      const open = await backend.createUpload();
      await backend.appendUpload(open, 0, Readable.from([randomBytes(100)]));
      const orphan = '00000000-0000-4000-8000-000000000001';
      await jetstream().publish(`$O.${bucket}.C.${orphan}`, randomBytes(10)); // a cancel cut off before its purge
      expect(await chunkSubjects()).toHaveLength(4);

      expect(await backend.delete(doomed)).toEqual({ deleted: true, freedBytes: 3000 });
      expect(await backend.purgeUploads(new Date(0))).toEqual({ purged: 0, freedBytes: 0 });
      expect(await chunkSubjects()).toHaveLength(3); // the orphan went; the deleted blob's chunks wait
      await sleep(600);
      const left = await chunkSubjects();
      expect(left).toHaveLength(2); // the kept blob's and the open upload's
      expect(left).toContain(`$O.${bucket}.C.${open}`);
      expect(await backend.stat(kept)).toMatchObject({ size: 2000 });
      expect(await backend.uploadSize(open)).toBe(100);
    });

    it('serializes appends from two replicas and shares blobs between them', async () => {
      const { backend: a } = await make({ chunkSize: 8192 });
      const b = await h!.open();
      const id = await a.createUpload();
      const x = randomBytes(300_000);
      const y = randomBytes(300_000);
      const results = await Promise.allSettled([a.appendUpload(id, 0, Readable.from([x])), b.appendUpload(id, 0, Readable.from([y]))]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'RANGE_INVALID' });
      const winner = results[0]!.status === 'fulfilled' ? x : y;
      expect(await b.uploadSize(id)).toBe(300_000);
      const { digest } = await b.commitUpload(id, digestOf(winner));

      expect((await a.list(undefined, 10)).blobs.map((blob) => blob.digest)).toEqual([digest]);
      const { committedAt } = (await a.stat(digest))!;
      await sleep(5);
      await put(b, winner); // a re-upload on the other replica refreshes the commit time
      expect(await a.delete(digest, new Date(committedAt.getTime() + 1))).toEqual({ deleted: false, freedBytes: 0 });
      expect((await readAll(await a.openRead(digest))).equals(winner)).toBe(true);
      expect(await b.usage()).toEqual({ blobs: 1, bytes: 300_000, uploads: 0, uploadBytes: 0 });
    });
  });

  describe('failures', () => {
    it('answers UNAVAILABLE (503) while NATS is not connected', async () => {
      const backend = new JetStreamBlobBackend({ url: 'nats://127.0.0.1:1', current: () => undefined });
      await expect(backend.stat(digestOf(Buffer.from('x')))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('not connected') });
      await expect(backend.createUpload()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });

    it('reports a bucket JetStream cannot make as UNAVAILABLE with the server’s reason', async () => {
      await make();
      const replicated = await h!.open({ bucket: `${h!.bucket}-r3`, replicas: 3 });
      await expect(replicated.health()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/replicas/i) });
    });

    it('refuses invalid bucket names', () => {
      expect(() => new JetStreamBlobBackend({ url: 'nats://x', current: () => undefined }, { bucket: 'a.b' })).toThrow('invalid JetStream bucket name');
    });
  });
});
