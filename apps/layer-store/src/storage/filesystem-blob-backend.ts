import { DigestAlgorithm, ParsedDigest } from '@silo/domain';
import { createHash, Hash, randomUUID } from 'node:crypto';
import { createReadStream, Stats } from 'node:fs';
import { FileHandle, link, mkdir, open, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { BlobBackend, BlobInfo, BlobPage, BlobReader, ByteRange, CommittedBlob, DeleteResult, PurgeResult, StoreUsage } from './blob-backend';
import { checkUploadId, parseBlobDigest, UPLOAD_ID } from './blob-input';
import { BufferPool } from './buffer-pool';
import { consumeChunks } from './consume-chunks';
import { BlobUnknown, DigestMismatch, RangeNotSatisfiable, UploadOffsetMismatch, UploadUnknown } from './errors';
import { KeyedMutex } from './keyed-mutex';

/** In lexical order of their digests (`sha256:` sorts before `sha512:`). */
const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];
const ENCODED: Record<DigestAlgorithm, RegExp> = { sha256: /^[0-9a-f]{64}$/, sha512: /^[0-9a-f]{128}$/ };
const PREFIX = /^[0-9a-f]{2}$/;
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/**
 * The running hash of an upload whose bytes all went through this process. Only sha256 runs while
 * streaming (what every client uses); a sha512 commit reads the file once instead.
 */
interface UploadHashes {
  size: number;
  sha256: Hash;
}

/** Disk writes are batched to this size (fewer syscalls), one batch in flight while the next fills. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * While an upload streams in, every this many bytes written are flushed to disk in the background
 * (fdatasync on the thread pool, one at a time). The commit's fsync then only has the tail left: on
 * a client that uploads layers one after another (skopeo, podman), the fsync of a 60 MiB layer at
 * commit had been 40 ms of the push's critical path, per layer.
 */
const BACKGROUND_SYNC_BYTES = 8 * 1024 * 1024;
/** Read chunk size for blob downloads. */
const READ_CHUNK_BYTES = 1024 * 1024;

function isMissing(err: unknown): boolean {
  return MISSING.has((err as NodeJS.ErrnoException).code ?? '');
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** Makes a directory's entries (a rename, a new file) durable. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories; they give no stronger guarantee to ask for.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
    written += bytesWritten;
  }
}

/**
 * Blobs as files under one root directory (see the layout in apps/layer-store/README.md):
 *
 *   blobs/<algorithm>/<first two hex>/<hex>   committed blobs; mtime = commit time
 *   uploads/<uuid>/data, uploads/<uuid>/meta.json   uploads in progress (survive restarts)
 *   trash/<uuid>                               a blob or upload being deleted
 *
 * Upload bytes are hashed (sha256 and sha512) as they are written, so a commit only compares; an
 * upload continued after a restart has no hashes in memory and is hashed by reading it once at
 * commit. A verified upload is fsynced, renamed into `blobs/` (atomic: a blob is whole or absent)
 * and its directory fsynced. Deletes rename into `trash/` first, so open reads keep their file and
 * a delete racing a re-commit can be undone. Paths are only built from parsed digests and UUIDs.
 *
 * One process per root: upload locks and hashes are in memory.
 */
export class FilesystemBlobBackend extends BlobBackend {
  readonly name = 'filesystem';
  private readonly hashes = new Map<string, UploadHashes>();
  private readonly uploadLocks = new KeyedMutex();
  private readonly batches = new BufferPool(WRITE_BATCH_BYTES, 8);
  private prepared?: Promise<void>;

  constructor(readonly root: string) {
    super();
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const path = this.blobPath(parseBlobDigest(digest));
    const stats = await statOrUndefined(path);
    return stats?.isFile() ? { digest, size: stats.size, committedAt: new Date(stats.mtimeMs) } : undefined;
  }

  async openRead(digest: string, range?: ByteRange): Promise<Readable> {
    const handle = await this.openBlobFile(digest);
    try {
      const { size } = await handle.stat();
      // Big reads for big blobs (fewer chunks to push through), no 1 MiB buffer for a 10 KiB one.
      const highWaterMark = Math.max(64 * 1024, Math.min(size, READ_CHUNK_BYTES));
      if (!range) return handle.createReadStream({ highWaterMark });
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end >= size) {
        throw new RangeNotSatisfiable(size, `${start}-${end}`);
      }
      return handle.createReadStream({ start, end, highWaterMark });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  override async openReader(digest: string): Promise<BlobReader> {
    const handle = await this.openBlobFile(digest);
    const { size } = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    return {
      size,
      read: async (buffer, position) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async createUpload(): Promise<string> {
    await this.prepare();
    const id = randomUUID();
    const dir = this.uploadDir(id);
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, 'meta.json'), `${JSON.stringify({ id, createdAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    const data = await open(join(dir, 'data'), 'wx', 0o600);
    await data.close();
    // No fsync here: an upload in progress survives a crash of the service (the page cache does),
    // and what must survive power loss — a committed blob — is fsynced at commit.
    this.hashes.set(id, { size: 0, sha256: createHash('sha256') });
    return id;
  }

  async appendUpload(id: string, expectedOffset: number, source: Readable): Promise<number> {
    checkUploadId(id);
    return this.uploadLocks.run(id, async () => {
      const handle = await this.openUploadData(id, 'r+');
      try {
        const { size } = await handle.stat();
        if (size !== expectedOffset) throw new UploadOffsetMismatch(expectedOffset, size);
        let hashes = this.hashes.get(id);
        if (hashes && hashes.size !== size) {
          this.hashes.delete(id);
          hashes = undefined;
        }
        let position = size;
        // Chunks are copied into a batch buffer; a full batch is hashed, then written while the
        // next one fills (the source is read no faster than the disk takes it). The hash runs on
        // this thread while the previous batch's write runs on the thread pool. A failed write
        // drops the running hash (the file may hold part of the batch: commit rehashes it), so
        // the hash never claims bytes the file does not have.
        let inFlight: Promise<void> | undefined;
        let batch: Buffer | undefined;
        let filled = 0;
        let unsynced = 0;
        let syncing: Promise<void> | undefined;
        const syncInBackground = (written: number) => {
          unsynced += written;
          if (unsynced < BACKGROUND_SYNC_BYTES || syncing) return;
          unsynced = 0;
          // Only an early start of the commit's fsync: a failure here is the commit's to report.
          syncing = handle.datasync().then(
            () => void (syncing = undefined),
            () => void (syncing = undefined),
          );
        };
        const flush = async () => {
          if (inFlight) await inFlight;
          inFlight = undefined;
          if (!batch || filled === 0) return;
          const buffer = batch;
          const bytes = buffer.subarray(0, filled);
          const at = position;
          batch = undefined;
          filled = 0;
          hashes?.sha256.update(bytes);
          inFlight = writeFully(handle, bytes, at).then(
            () => {
              if (hashes) hashes.size = at + bytes.length;
              this.batches.give(buffer);
              syncInBackground(bytes.length);
            },
            (err: unknown) => {
              this.hashes.delete(id);
              hashes = undefined;
              throw err;
            },
          );
          position = at + bytes.length;
        };
        try {
          await consumeChunks(source, (bytes) => {
            const n = (batch ??= this.batches.take()).length - filled;
            if (bytes.length < n) {
              filled += bytes.copy(batch, filled);
              return undefined;
            }
            return (async () => {
              // A chunk that fills the batch: copy what fits, write, and go on with the rest.
              let taken = 0;
              while (taken < bytes.length) {
                batch ??= this.batches.take();
                const copied = bytes.copy(batch, filled, taken);
                taken += copied;
                filled += copied;
                if (filled === batch.length) await flush();
              }
            })();
          });
        } finally {
          // Whatever arrived is written, also when the source failed mid-way.
          try {
            await flush();
            if (inFlight) await inFlight;
          } finally {
            if (batch) this.batches.give(batch);
            if (syncing) await syncing; // not closed under a running fdatasync
          }
        }
        return position;
      } finally {
        await handle.close();
      }
    });
  }

  async uploadSize(id: string): Promise<number> {
    checkUploadId(id);
    const stats = await statOrUndefined(join(this.uploadDir(id), 'data'));
    if (!stats) throw new UploadUnknown(id);
    return stats.size;
  }

  async commitUpload(id: string, digest: string): Promise<CommittedBlob> {
    const parsed = parseBlobDigest(digest);
    checkUploadId(id);
    return this.uploadLocks.run(id, async () => {
      const data = join(this.uploadDir(id), 'data');
      const target = this.blobPath(parsed);
      const handle = await this.openUploadData(id, 'r+');
      try {
        const { size } = await handle.stat();
        const actual = await this.digestOf(id, data, size, parsed.algorithm);
        if (actual !== digest) {
          await handle.close();
          await this.discardUpload(id);
          throw new DigestMismatch(digest, actual, size);
        }
        if (await this.refreshCommitTime(target)) {
          await handle.close();
          await this.discardUpload(id);
          return { digest, size };
        }
        const now = new Date();
        await utimes(data, now, now); // mtime = commit time, used by delete(ifCommittedBefore)
        await handle.sync(); // bytes and mtime on disk before the rename makes them a blob
        await handle.close();
        const prefixDir = dirname(target);
        const created = await mkdir(prefixDir, { recursive: true, mode: 0o700 });
        await rename(data, target);
        await syncDirectory(prefixDir);
        if (created) {
          await syncDirectory(dirname(prefixDir));
          await syncDirectory(dirname(dirname(prefixDir)));
        }
        await this.discardUpload(id);
        return { digest, size };
      } finally {
        await handle.close().catch(() => undefined);
      }
    });
  }

  async cancelUpload(id: string): Promise<void> {
    checkUploadId(id);
    await this.uploadLocks.run(id, async () => {
      if (!(await statOrUndefined(join(this.uploadDir(id), 'data')))) throw new UploadUnknown(id);
      await this.discardUpload(id);
    });
  }

  async delete(digest: string, ifCommittedBefore?: Date): Promise<DeleteResult> {
    const target = this.blobPath(parseBlobDigest(digest));
    const kept: DeleteResult = { deleted: false, freedBytes: 0 };
    const before = await statOrUndefined(target);
    if (!before) return kept;
    const cutoff = ifCommittedBefore?.getTime();
    if (cutoff !== undefined && before.mtimeMs >= cutoff) return kept;
    await this.prepare();
    const trashed = this.trashPath();
    try {
      await rename(target, trashed);
    } catch (err) {
      if (isMissing(err)) return kept; // deleted by someone else meanwhile
      throw err;
    }
    const removed = await stat(trashed);
    if (cutoff !== undefined && removed.mtimeMs >= cutoff) {
      // Re-committed between our check and the rename: put it back (unless a new copy is there).
      await link(trashed, target).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      await unlink(trashed);
      return kept;
    }
    await unlink(trashed); // readers that have the file open keep reading it
    await syncDirectory(dirname(target));
    return { deleted: true, freedBytes: removed.size };
  }

  async list(after: string | undefined, limit: number): Promise<BlobPage> {
    const from = after === undefined ? undefined : parseBlobDigest(after);
    const max = Math.max(1, Math.floor(limit));
    const blobs: BlobInfo[] = [];
    for (const algorithm of ALGORITHMS) {
      if (from && algorithm < from.algorithm) continue;
      const sameAlgorithm = from?.algorithm === algorithm;
      const prefixes = (await readdirOrEmpty(join(this.root, 'blobs', algorithm))).filter((p) => PREFIX.test(p)).sort();
      for (const prefix of prefixes) {
        if (from && sameAlgorithm && prefix < from.encoded.slice(0, 2)) continue;
        const dir = join(this.root, 'blobs', algorithm, prefix);
        const names = (await readdirOrEmpty(dir)).filter((n) => ENCODED[algorithm].test(n) && n.startsWith(prefix)).sort();
        for (const name of names) {
          const digest = `${algorithm}:${name}`;
          if (after !== undefined && digest <= after) continue;
          const stats = await statOrUndefined(join(dir, name));
          if (!stats?.isFile()) continue;
          if (blobs.length === max) return { blobs, next: blobs[blobs.length - 1]!.digest };
          blobs.push({ digest, size: stats.size, committedAt: new Date(stats.mtimeMs) });
        }
      }
    }
    return { blobs };
  }

  async usage(): Promise<StoreUsage> {
    const usage: StoreUsage = { blobs: 0, bytes: 0, uploads: 0, uploadBytes: 0 };
    for (const algorithm of ALGORITHMS) {
      const base = join(this.root, 'blobs', algorithm);
      for (const prefix of (await readdirOrEmpty(base)).filter((p) => PREFIX.test(p))) {
        for (const name of (await readdirOrEmpty(join(base, prefix))).filter((n) => ENCODED[algorithm].test(n))) {
          const stats = await statOrUndefined(join(base, prefix, name));
          if (!stats?.isFile()) continue;
          usage.blobs += 1;
          usage.bytes += stats.size;
        }
      }
    }
    for (const id of await this.uploadIds()) {
      const stats = await statOrUndefined(join(this.uploadDir(id), 'data'));
      if (!stats) continue;
      usage.uploads += 1;
      usage.uploadBytes += stats.size;
    }
    return usage;
  }

  async purgeUploads(olderThan: Date): Promise<PurgeResult> {
    const result: PurgeResult = { purged: 0, freedBytes: 0 };
    const cutoff = olderThan.getTime();
    for (const id of await this.uploadIds()) {
      if (this.uploadLocks.isLocked(id)) continue; // being written or committed right now
      await this.uploadLocks.run(id, async () => {
        const data = await statOrUndefined(join(this.uploadDir(id), 'data'));
        // A directory without data is the remains of an interrupted create: purge it too.
        const touched = data ?? (await statOrUndefined(this.uploadDir(id)));
        if (!touched || touched.mtimeMs >= cutoff) return;
        if (await this.discardUpload(id)) {
          result.purged += data ? 1 : 0;
          result.freedBytes += data?.size ?? 0;
        }
      });
    }
    return result;
  }

  // --- internals -------------------------------------------------------------------------------



  /** The committed blob's file, open for reading; BlobUnknown when there is none. */
  private async openBlobFile(digest: string): Promise<FileHandle> {
    try {
      return await open(this.blobPath(parseBlobDigest(digest)), 'r');
    } catch (err) {
      if (isMissing(err)) throw new BlobUnknown(digest);
      throw err;
    }
  }

  private blobPath({ algorithm, encoded }: ParsedDigest): string {
    return join(this.root, 'blobs', algorithm, encoded.slice(0, 2), encoded);
  }

  private uploadDir(id: string): string {
    return join(this.root, 'uploads', id);
  }

  private trashPath(): string {
    return join(this.root, 'trash', randomUUID());
  }

  private async uploadIds(): Promise<string[]> {
    return (await readdirOrEmpty(join(this.root, 'uploads'))).filter((n) => UPLOAD_ID.test(n));
  }

  private async openUploadData(id: string, flags: string): Promise<FileHandle> {
    try {
      return await open(join(this.uploadDir(id), 'data'), flags);
    } catch (err) {
      if (isMissing(err)) throw new UploadUnknown(id);
      throw err;
    }
  }

  /** From the running hashes when they cover the whole file, else by reading the file once. */
  private async digestOf(id: string, data: string, size: number, algorithm: DigestAlgorithm): Promise<string> {
    const hashes = this.hashes.get(id);
    if (hashes && hashes.size === size && algorithm === 'sha256') return `sha256:${hashes.sha256.copy().digest('hex')}`;
    const hash = createHash(algorithm);
    for await (const chunk of createReadStream(data)) hash.update(chunk as Buffer);
    return `${algorithm}:${hash.digest('hex')}`;
  }

  /** An existing blob gets a fresh commit time, so a GC pass that saw it unreferenced keeps it. */
  private async refreshCommitTime(target: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(target, now, now);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Removes an upload's directory (atomically, via trash/); false when it was not there. */
  private async discardUpload(id: string): Promise<boolean> {
    this.hashes.delete(id);
    await this.prepare();
    const trashed = this.trashPath();
    try {
      await rename(this.uploadDir(id), trashed);
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    await rm(trashed, { recursive: true, force: true });
    return true;
  }

  /** Creates the layout on first use and empties trash/ of what a crash left there. */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      for (const dir of ['blobs', 'uploads', 'trash']) await mkdir(join(this.root, dir), { recursive: true, mode: 0o700 });
      for (const name of await readdirOrEmpty(join(this.root, 'trash'))) {
        await rm(join(this.root, 'trash', name), { recursive: true, force: true });
      }
    })().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }
}
