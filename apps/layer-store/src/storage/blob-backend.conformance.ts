import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobBackend } from './blob-backend';
import { BlobUnknown, DigestMismatch, InvalidDigest, RangeNotSatisfiable, UploadOffsetMismatch, UploadUnknown } from './errors';

/** What a backend's spec gives the suite: a fresh, empty store, reopenable as after a restart. */
export interface BlobBackendHarness {
  backend: BlobBackend;
  /** A new backend instance on the same storage, as the service would have after a restart. */
  reopen(): Promise<BlobBackend>;
  /** Removes everything the harness made; runs even when the test failed. */
  cleanup(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function digestOf(data: Buffer, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function source(...chunks: Buffer[]): Readable {
  return Readable.from(chunks);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** A source that sends `chunks`, then fails as a dropped client connection would. */
function failingSource(chunks: Buffer[]): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) yield chunk;
      throw new Error('connection reset by peer');
    })(),
  );
}

async function put(backend: BlobBackend, data: Buffer, algorithm: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const id = await backend.createUpload();
  await backend.appendUpload(id, 0, source(data));
  const { digest } = await backend.commitUpload(id, digestOf(data, algorithm));
  return digest;
}

/** Byte equality without Jest's element-by-element diff, which is very slow on megabytes. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected) ? 'same bytes' : `different bytes (${digestOf(actual)} vs ${digestOf(expected)})`).toBe('same bytes');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every BlobBackend must have. A backend's spec calls this with a factory that
 * makes a fresh, empty store for each test.
 */
export function describeBlobBackendConformance(name: string, factory: () => Promise<BlobBackendHarness>): void {
  describe(`BlobBackend conformance: ${name}`, () => {
    let harness: BlobBackendHarness | undefined;
    let backend: BlobBackend;

    beforeEach(async () => {
      harness = await factory();
      backend = harness.backend;
    });

    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    describe('uploads', () => {
      it('uploads in one chunk, commits, and the upload becomes the blob', async () => {
        const data = randomBytes(4096);
        const id = await backend.createUpload();
        expect(id).toMatch(UUID);
        expect(await backend.uploadSize(id)).toBe(0);
        expect(await backend.appendUpload(id, 0, source(data))).toBe(data.length);
        expect(await backend.uploadSize(id)).toBe(data.length);
        expect(await backend.stat(digestOf(data))).toBeUndefined(); // invisible until committed
        expect(await backend.commitUpload(id, digestOf(data))).toEqual({ digest: digestOf(data), size: data.length });
        const info = await backend.stat(digestOf(data));
        expect(info).toMatchObject({ digest: digestOf(data), size: data.length });
        expect(info?.committedAt).toBeInstanceOf(Date);
        expectBytes(await readAll(await backend.openRead(digestOf(data))), data);
        await expect(backend.uploadSize(id)).rejects.toBeInstanceOf(UploadUnknown);
      });

      it('uploads in many appends of many chunks (and empty ones)', async () => {
        const data = randomBytes(3 * 1024 * 1024 + 123);
        const id = await backend.createUpload();
        const parts = [data.subarray(0, 1), data.subarray(1, 1), data.subarray(1, 700_001), data.subarray(700_001)];
        let offset = 0;
        for (const part of parts) {
          offset = await backend.appendUpload(id, offset, source(...chunksOf(part, 64 * 1024)));
        }
        expect(offset).toBe(data.length);
        expect(await backend.appendUpload(id, offset, source())).toBe(data.length);
        await backend.commitUpload(id, digestOf(data));
        expectBytes(await readAll(await backend.openRead(digestOf(data))), data);
      });

      it('refuses an append at a wrong offset with the current size, and resumes at the right one', async () => {
        const data = randomBytes(300);
        const id = await backend.createUpload();
        await backend.appendUpload(id, 0, source(data.subarray(0, 100)));
        for (const wrong of [0, 50, 101, 1e9]) {
          const error = await backend.appendUpload(id, wrong, source(Buffer.from('garbage'))).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(UploadOffsetMismatch);
          expect(error).toMatchObject({ code: 'RANGE_INVALID', httpStatus: 416, details: { size: 100 } });
        }
        expect(await backend.uploadSize(id)).toBe(100);
        expect(await backend.appendUpload(id, 100, source(data.subarray(100)))).toBe(300);
        expect(await backend.commitUpload(id, digestOf(data))).toEqual({ digest: digestOf(data), size: 300 });
      });

      it('lets exactly one of two concurrent appends at the same offset through', async () => {
        const id = await backend.createUpload();
        const a = randomBytes(200_000);
        const b = randomBytes(200_000);
        const results = await Promise.allSettled([backend.appendUpload(id, 0, source(...chunksOf(a, 10_000))), backend.appendUpload(id, 0, source(b))]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(refused?.reason).toBeInstanceOf(UploadOffsetMismatch);
        const winner = results[0]!.status === 'fulfilled' ? a : b;
        await backend.commitUpload(id, digestOf(winner));
        expectBytes(await readAll(await backend.openRead(digestOf(winner))), winner);
      });

      it('keeps what arrived before a source failed, and the upload resumes from its size', async () => {
        const data = randomBytes(256 * 1024);
        const id = await backend.createUpload();
        const chunks = chunksOf(data, 16 * 1024);
        await expect(backend.appendUpload(id, 0, failingSource(chunks.slice(0, 5)))).rejects.toThrow('connection reset');
        const size = await backend.uploadSize(id);
        expect(size).toBeLessThanOrEqual(5 * 16 * 1024);
        expect(await backend.appendUpload(id, size, source(data.subarray(size)))).toBe(data.length);
        expect(await backend.commitUpload(id, digestOf(data))).toEqual({ digest: digestOf(data), size: data.length });
        expectBytes(await readAll(await backend.openRead(digestOf(data))), data);
      });

      it('verifies sha256 and sha512 digests', async () => {
        const data = randomBytes(10_000);
        for (const algorithm of ['sha256', 'sha512'] as const) {
          const id = await backend.createUpload();
          await backend.appendUpload(id, 0, source(...chunksOf(data, 999)));
          expect(await backend.commitUpload(id, digestOf(data, algorithm))).toEqual({ digest: digestOf(data, algorithm), size: data.length });
          expect(await backend.stat(digestOf(data, algorithm))).toMatchObject({ size: data.length });
        }
        expect((await backend.usage()).blobs).toBe(2);
      });

      it('on a digest mismatch deletes the upload and stores nothing', async () => {
        const data = randomBytes(5000);
        const claimed = digestOf(Buffer.from('something else'));
        for (const wrong of [claimed, digestOf(data, 'sha512').replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
          const id = await backend.createUpload();
          await backend.appendUpload(id, 0, source(data));
          const error = await backend.commitUpload(id, wrong).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DigestMismatch);
          expect(error).toMatchObject({ code: 'DIGEST_INVALID' });
          await expect(backend.uploadSize(id)).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.commitUpload(id, digestOf(data))).rejects.toBeInstanceOf(UploadUnknown);
          expect(await backend.stat(wrong)).toBeUndefined();
        }
        expect(await backend.stat(digestOf(data))).toBeUndefined();
        expect(await backend.usage()).toEqual({ blobs: 0, bytes: 0, uploads: 0, uploadBytes: 0 });
      });

      it('commits a re-upload of an existing blob by discarding it, and refreshes the commit time', async () => {
        const data = randomBytes(1000);
        await put(backend, data);
        const first = await backend.stat(digestOf(data));
        await sleep(20);
        const id = await backend.createUpload();
        await backend.appendUpload(id, 0, source(data));
        expect(await backend.commitUpload(id, digestOf(data))).toEqual({ digest: digestOf(data), size: 1000 });
        const second = await backend.stat(digestOf(data));
        expect(second!.committedAt.getTime()).toBeGreaterThan(first!.committedAt.getTime());
        expect(await backend.usage()).toEqual({ blobs: 1, bytes: 1000, uploads: 0, uploadBytes: 0 });
      });

      it('commits concurrent uploads of the same content to one blob', async () => {
        const data = randomBytes(512 * 1024);
        const ids = await Promise.all(Array.from({ length: 6 }, () => backend.createUpload()));
        await Promise.all(ids.map((id) => backend.appendUpload(id, 0, source(...chunksOf(data, 32 * 1024)))));
        const results = await Promise.all(ids.map((id) => backend.commitUpload(id, digestOf(data))));
        expect(results).toEqual(ids.map(() => ({ digest: digestOf(data), size: data.length })));
        expectBytes(await readAll(await backend.openRead(digestOf(data))), data);
        expect(await backend.usage()).toEqual({ blobs: 1, bytes: data.length, uploads: 0, uploadBytes: 0 });
      });

      it('cancels an upload; a cancelled or unknown upload is BLOB_UPLOAD_UNKNOWN everywhere', async () => {
        const id = await backend.createUpload();
        await backend.appendUpload(id, 0, source(Buffer.from('abc')));
        await backend.cancelUpload(id);
        const unknown = '00000000-0000-4000-8000-000000000000';
        for (const which of [id, unknown]) {
          await expect(backend.uploadSize(which)).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.appendUpload(which, 3, source(Buffer.from('d')))).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.commitUpload(which, digestOf(Buffer.from('abc')))).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.cancelUpload(which)).rejects.toMatchObject({ code: 'BLOB_UPLOAD_UNKNOWN' });
        }
        expect((await backend.usage()).uploads).toBe(0);
      });

      it('refuses upload ids that are not UUIDs, including path tricks', async () => {
        for (const id of ['', '..', '../blobs', 'a/b', '00000000-0000-4000-8000-000000000000/../x', 'NOT-A-UUID']) {
          await expect(backend.uploadSize(id)).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.appendUpload(id, 0, source())).rejects.toBeInstanceOf(UploadUnknown);
          await expect(backend.cancelUpload(id)).rejects.toBeInstanceOf(UploadUnknown);
        }
      });
    });

    describe('reads', () => {
      it('reads byte ranges, including the edges', async () => {
        const data = randomBytes(1000);
        const digest = await put(backend, data);
        const cases: Array<[number, number]> = [
          [0, 0],
          [0, 999],
          [999, 999],
          [10, 19],
          [500, 998],
        ];
        for (const [start, end] of cases) {
          expectBytes(await readAll(await backend.openRead(digest, { start, end })), data.subarray(start, end + 1));
        }
      });

      it('reads byte ranges anywhere in a large blob written in uneven appends', async () => {
        const data = randomBytes(3 * 1024 * 1024 + 4321);
        const id = await backend.createUpload();
        let offset = 0;
        for (const size of [1, 65_535, 700_001, 1_048_576, 17]) {
          offset = await backend.appendUpload(id, offset, source(...chunksOf(data.subarray(offset, offset + size), 50_000)));
        }
        await backend.appendUpload(id, offset, source(data.subarray(offset)));
        const digest = (await backend.commitUpload(id, digestOf(data))).digest;
        const last = data.length - 1;
        const cases: Array<[number, number]> = [
          [1, 1],
          [65_535, 65_536],
          [765_535, 765_537],
          [1_000_000, 2_500_000],
          [1_814_112, 1_814_130],
          [last - 10, last],
          [last, last],
        ];
        for (const [start, end] of cases) {
          expectBytes(await readAll(await backend.openRead(digest, { start, end })), data.subarray(start, end + 1));
        }
      });

      it('refuses ranges outside the blob', async () => {
        const data = randomBytes(1000);
        const digest = await put(backend, data);
        for (const [start, end] of [
          [0, 1000],
          [1000, 1000],
          [5, 4],
          [-1, 3],
          [2000, 3000],
        ] as Array<[number, number]>) {
          const error = await backend.openRead(digest, { start, end }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(RangeNotSatisfiable);
          expect(error).toMatchObject({ code: 'RANGE_INVALID', details: { size: 1000 } });
        }
      });

      it('stores and reads the empty blob; no range of it is satisfiable', async () => {
        const empty = Buffer.alloc(0);
        const digest = await put(backend, empty);
        expect(digest).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        expect(await backend.stat(digest)).toMatchObject({ size: 0 });
        expectBytes(await readAll(await backend.openRead(digest)), empty);
        await expect(backend.openRead(digest, { start: 0, end: 0 })).rejects.toBeInstanceOf(RangeNotSatisfiable);
      });

      it('answers unknown blobs with undefined (stat) and BlobUnknown (read)', async () => {
        const digest = digestOf(Buffer.from('never stored'));
        expect(await backend.stat(digest)).toBeUndefined();
        const error = await backend.openRead(digest).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobUnknown);
        expect(error).toMatchObject({ code: 'BLOB_UNKNOWN' });
      });

      it('refuses malformed digests before looking anything up', async () => {
        const bad = ['', 'sha256', 'sha256:', '../../etc/passwd', 'sha256:../../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `md5:${'a'.repeat(32)}`, `sha512:${'a'.repeat(64)}`];
        for (const digest of bad) {
          await expect(backend.stat(digest)).rejects.toBeInstanceOf(InvalidDigest);
          await expect(backend.openRead(digest)).rejects.toBeInstanceOf(InvalidDigest);
          await expect(backend.delete(digest)).rejects.toBeInstanceOf(InvalidDigest);
          await expect(backend.list(digest, 10)).rejects.toBeInstanceOf(InvalidDigest);
        }
        const id = await backend.createUpload();
        await expect(backend.commitUpload(id, '../../x')).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
        expect(await backend.uploadSize(id)).toBe(0); // a malformed digest does not consume the upload
      });
    });

    describe('deletes', () => {
      it('deletes a blob and reports the bytes freed; deleting again is a no-op', async () => {
        const data = randomBytes(2048);
        const digest = await put(backend, data);
        expect(await backend.delete(digest)).toEqual({ deleted: true, freedBytes: 2048 });
        expect(await backend.stat(digest)).toBeUndefined();
        await expect(backend.openRead(digest)).rejects.toBeInstanceOf(BlobUnknown);
        expect(await backend.delete(digest)).toEqual({ deleted: false, freedBytes: 0 });
        expect(await backend.usage()).toEqual({ blobs: 0, bytes: 0, uploads: 0, uploadBytes: 0 });
      });

      it('tells a deleted empty blob from a kept one', async () => {
        const digest = await put(backend, Buffer.alloc(0));
        expect(await backend.delete(digest)).toEqual({ deleted: true, freedBytes: 0 });
      });

      it('keeps a blob committed at or after ifCommittedBefore, deletes an older one', async () => {
        const digest = await put(backend, randomBytes(100));
        const { committedAt } = (await backend.stat(digest))!;
        expect(await backend.delete(digest, new Date(committedAt.getTime() - 60_000))).toEqual({ deleted: false, freedBytes: 0 });
        expect(await backend.delete(digest, committedAt)).toEqual({ deleted: false, freedBytes: 0 });
        expect(await backend.stat(digest)).toBeDefined();
        expect(await backend.delete(digest, new Date(committedAt.getTime() + 1))).toEqual({ deleted: true, freedBytes: 100 });
        expect(await backend.stat(digest)).toBeUndefined();
      });

      it('can be uploaded again after a delete', async () => {
        const data = randomBytes(100);
        const digest = await put(backend, data);
        await backend.delete(digest);
        await put(backend, data);
        expectBytes(await readAll(await backend.openRead(digest)), data);
      });

      it('does not break a read that is already open', async () => {
        const data = randomBytes(4 * 1024 * 1024);
        const digest = await put(backend, data);
        const stream = await backend.openRead(digest);
        const iterator = stream[Symbol.asyncIterator]();
        const first = (await iterator.next()).value as Buffer;
        expect((await backend.delete(digest)).deleted).toBe(true);
        const parts: Buffer[] = [first];
        let failure: unknown;
        try {
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) parts.push(next.value as Buffer);
        } catch (err) {
          failure = err;
        }
        // The read completes, or fails as a stream error: never a crash.
        if (failure === undefined) expectBytes(Buffer.concat(parts), data);
        else expect(failure).toBeInstanceOf(Error);
        expect(await backend.stat(digest)).toBeUndefined();
      });
    });

    describe('listing and usage', () => {
      it('lists blobs in lexical digest order, paged', async () => {
        const contents = Array.from({ length: 9 }, (_, i) => Buffer.from(`blob ${i}`));
        const digests: string[] = [];
        for (const [i, data] of contents.entries()) digests.push(await put(backend, data, i < 7 ? 'sha256' : 'sha512'));
        const expected = [...digests].sort();
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await backend.list(after, 4);
          expect(page.blobs.length).toBeLessThanOrEqual(4);
          for (const blob of page.blobs) {
            expect(blob).toMatchObject({ size: contents[digests.indexOf(blob.digest)]!.length });
            expect(blob.committedAt).toBeInstanceOf(Date);
          }
          seen.push(...page.blobs.map((b) => b.digest));
          after = page.next;
          if (after !== undefined) expect(after).toBe(page.blobs[page.blobs.length - 1]!.digest);
          pages += 1;
        } while (after !== undefined);
        expect(seen).toEqual(expected);
        expect(pages).toBe(3);
        expect(await backend.list(undefined, 9)).toEqual({ blobs: expect.any(Array) });
        expect((await backend.list(undefined, 9)).next).toBeUndefined();
        expect((await backend.list(expected[4], 100)).blobs.map((b) => b.digest)).toEqual(expected.slice(5));
        // `after` need not be stored
        const between = `sha256:${'f'.repeat(64)}`;
        expect((await backend.list(between, 100)).blobs.map((b) => b.digest)).toEqual(expected.filter((d) => d > between));
        expect(await backend.list(expected[8], 10)).toEqual({ blobs: [] });
      });

      it('lists an empty store as one empty page', async () => {
        expect(await backend.list(undefined, 10)).toEqual({ blobs: [] });
      });

      it('counts blobs, bytes, uploads and upload bytes', async () => {
        await put(backend, Buffer.alloc(100, 1));
        await put(backend, Buffer.alloc(250, 2), 'sha512');
        const open1 = await backend.createUpload();
        await backend.appendUpload(open1, 0, source(Buffer.alloc(30)));
        await backend.createUpload();
        expect(await backend.usage()).toEqual({ blobs: 2, bytes: 350, uploads: 2, uploadBytes: 30 });
      });
    });

    describe('purging uploads', () => {
      it('removes uploads untouched since the cut-off and keeps newer ones and blobs', async () => {
        const digest = await put(backend, Buffer.from('a blob'));
        const old = await backend.createUpload();
        await backend.appendUpload(old, 0, source(Buffer.alloc(40)));
        await sleep(100);
        const cutoff = new Date();
        await sleep(100);
        const fresh = await backend.createUpload();
        await backend.appendUpload(fresh, 0, source(Buffer.alloc(7)));
        expect(await backend.purgeUploads(new Date(cutoff.getTime() - 60_000))).toEqual({ purged: 0, freedBytes: 0 });
        expect(await backend.purgeUploads(cutoff)).toEqual({ purged: 1, freedBytes: 40 });
        await expect(backend.uploadSize(old)).rejects.toBeInstanceOf(UploadUnknown);
        expect(await backend.uploadSize(fresh)).toBe(7);
        expect(await backend.stat(digest)).toBeDefined();
        expect(await backend.purgeUploads(new Date(Date.now() + 60_000))).toEqual({ purged: 1, freedBytes: 7 });
        expect(await backend.usage()).toMatchObject({ blobs: 1, uploads: 0, uploadBytes: 0 });
      });
    });

    describe('restart', () => {
      it('keeps blobs and uploads; a resumed upload still commits with the right digest', async () => {
        const blob = randomBytes(10_000);
        const digest = await put(backend, blob);
        const data = randomBytes(200_000);
        const resumed = await backend.createUpload();
        await backend.appendUpload(resumed, 0, source(...chunksOf(data.subarray(0, 120_000), 8192)));
        const wrong = await backend.createUpload();
        await backend.appendUpload(wrong, 0, source(data));
        const idle = await backend.createUpload();

        const after = await harness!.reopen();
        expect(await after.stat(digest)).toMatchObject({ size: 10_000 });
        expectBytes(await readAll(await after.openRead(digest, { start: 5, end: 9 })), blob.subarray(5, 10));
        expect(await after.usage()).toEqual({ blobs: 1, bytes: 10_000, uploads: 3, uploadBytes: 320_000 });

        expect(await after.uploadSize(resumed)).toBe(120_000);
        await expect(after.appendUpload(resumed, 0, source(data))).rejects.toMatchObject({ details: { size: 120_000 } });
        expect(await after.appendUpload(resumed, 120_000, source(data.subarray(120_000)))).toBe(200_000);
        expect(await after.commitUpload(resumed, digestOf(data, 'sha512'))).toEqual({ digest: digestOf(data, 'sha512'), size: 200_000 });
        expectBytes(await readAll(await after.openRead(digestOf(data, 'sha512'))), data);

        await expect(after.commitUpload(wrong, digestOf(blob))).rejects.toBeInstanceOf(DigestMismatch);
        expect(await after.stat(digestOf(blob))).toBeDefined(); // the existing blob is untouched
        expect(await after.uploadSize(idle)).toBe(0);
        await after.cancelUpload(idle);
        expect(await after.usage()).toEqual({ blobs: 2, bytes: 210_000, uploads: 0, uploadBytes: 0 });
      });
    });
  });
}
