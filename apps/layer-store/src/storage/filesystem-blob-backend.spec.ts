import { makeTempDir } from '@silo/testing';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeBlobBackendConformance, digestOf } from './blob-backend.conformance';
import { FilesystemBlobBackend } from './filesystem-blob-backend';

describeBlobBackendConformance('filesystem', async () => {
  const dir = await makeTempDir('silo-blobs-');
  const root = join(dir.path, 'layer-store');
  return {
    backend: new FilesystemBlobBackend(root),
    reopen: async () => new FilesystemBlobBackend(root),
    cleanup: () => dir.cleanup(),
  };
});

describe('FilesystemBlobBackend layout', () => {
  it('keeps blobs at blobs/<algorithm>/<xx>/<hex> and uploads at uploads/<uuid>/{data,meta.json}', async () => {
    const dir = await makeTempDir('silo-blobs-');
    try {
      const backend = new FilesystemBlobBackend(dir.path);
      const data = randomBytes(1000);
      const id = await backend.createUpload();
      expect(readdirSync(join(dir.path, 'uploads', id)).sort()).toEqual(['data', 'meta.json']);
      await backend.appendUpload(id, 0, Readable.from([data]));
      expect(statSync(join(dir.path, 'uploads', id, 'data')).size).toBe(1000);
      const digest = digestOf(data);
      const hex = digest.slice('sha256:'.length);
      await backend.commitUpload(id, digest);
      expect(statSync(join(dir.path, 'blobs', 'sha256', hex.slice(0, 2), hex)).size).toBe(1000);
      expect(existsSync(join(dir.path, 'uploads', id))).toBe(false);
      await backend.delete(digest);
      expect(readdirSync(join(dir.path, 'trash'))).toEqual([]);
    } finally {
      await dir.cleanup();
    }
  });

  it('finishes a read that was open when the blob was deleted', async () => {
    const dir = await makeTempDir('silo-blobs-');
    try {
      const backend = new FilesystemBlobBackend(dir.path);
      const data = randomBytes(2 * 1024 * 1024);
      const id = await backend.createUpload();
      await backend.appendUpload(id, 0, Readable.from([data]));
      const { digest } = await backend.commitUpload(id, digestOf(data));
      const stream = await backend.openRead(digest);
      const parts: Buffer[] = [];
      const iterator = stream[Symbol.asyncIterator]();
      parts.push((await iterator.next()).value as Buffer);
      await backend.delete(digest);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) parts.push(next.value as Buffer);
      expect(Buffer.concat(parts).equals(data)).toBe(true);
    } finally {
      await dir.cleanup();
    }
  });
});

describe('FilesystemBlobBackend verification', () => {
  it('verifies from the hashes kept while streaming (commit does not re-read), and re-reads after a restart', async () => {
    const dir = await makeTempDir('silo-blobs-');
    try {
      const backend = new FilesystemBlobBackend(dir.path);
      const data = randomBytes(100_000);
      const streamed = await backend.createUpload();
      await backend.appendUpload(streamed, 0, Readable.from([data.subarray(0, 50_000), data.subarray(50_000)]));
      const reloaded = await backend.createUpload();
      await backend.appendUpload(reloaded, 0, Readable.from([data]));
      // Same size, other bytes, behind the backend's back: only a re-read would notice.
      for (const id of [streamed, reloaded]) writeFileSync(join(dir.path, 'uploads', id, 'data'), Buffer.alloc(100_000));
      expect(await backend.commitUpload(streamed, digestOf(data))).toEqual({ digest: digestOf(data), size: 100_000 });
      const restarted = new FilesystemBlobBackend(dir.path);
      await expect(restarted.commitUpload(reloaded, digestOf(data, 'sha512'))).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    } finally {
      await dir.cleanup();
    }
  });
});
