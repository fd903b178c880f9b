import { DigestAlgorithm, ParsedDigest, SiloError } from '@silo/domain';
import {
  DeliverPolicy,
  DiscardPolicy,
  headers,
  JetStreamClient,
  JetStreamManager,
  KV,
  NatsConnection as Connection,
  NatsError,
  PubAck,
  StorageType,
  StoredMsg,
  StreamConfig,
  StreamInfo,
} from 'nats';
import { createHash, Hash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobBackend, BlobInfo, BlobPage, ByteRange, CommittedBlob, DeleteResult, PurgeResult, StoreUsage } from './blob-backend';
import { checkUploadId, parseBlobDigest, UPLOAD_ID } from './blob-input';
import { BlobStoreUnavailable, BlobUnknown, DigestMismatch, RangeNotSatisfiable, UploadOffsetMismatch, UploadUnknown } from './errors';
import { BlobIndex, COMMITTED_AT, committedAtOf, DELETED_AT, IndexedMeta } from './jetstream-blob-index';
import { KeyedMutex } from './keyed-mutex';

const BUCKET_NAME = /^[a-zA-Z0-9_-]+$/;
const KiB = 1024;

/** Byte offset of a chunk message in its object (every chunk this backend writes carries it). */
const OFFSET_HEADER = 'Silo-Offset';
/** Marks the empty message a commit appends after the last chunk; its value is the digest. */
const SEAL_HEADER = 'Silo-Seal';
const FIRST_SEQ = 'silo-first-seq';
const LAST_SEQ = 'silo-last-seq';
/** JetStream API error: `Nats-Expected-Last-Subject-Sequence` did not hold. */
const WRONG_LAST_SEQUENCE = 10071;
const STREAM_NOT_FOUND = 10059;
/** A commit whose seal is younger than this may still be publishing its meta: purge keeps it. */
const SEAL_GRACE_MS = 60_000;
const TRANSPORT_ERRORS = new Set(['TIMEOUT', '503', 'CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'DISCONNECT']);

export interface JetStreamBlobBackendOptions {
  /** Object-store bucket of the blobs (stream `OBJ_<bucket>`). Default `silo-blobs`. */
  bucket?: string;
  /** KV bucket of the uploads in progress (stream `KV_<name>`). Default `<bucket>-uploads`. */
  uploadsBucket?: string;
  /** Replicas of both streams (1 on a single server; 3 or 5 in a cluster). Default 1. */
  replicas?: number;
  /** Default `file`. */
  storage?: 'file' | 'memory';
  /** Largest chunk message, clamped below the server's max_payload. Default 1 MiB (1020 KiB under the default max_payload). */
  chunkSize?: number;
  /** Timeout of each JetStream request. Default 5000 ms. */
  timeoutMs?: number;
  /** How long a deleted blob's chunks stay, so that reads already open finish. Default 60 s. */
  deleteGraceMs?: number;
}

/** Where the backend gets its NATS connection: the service's shared one (NatsConnectionService). */
export interface NatsConnectionSource {
  readonly url: string;
  current(): Connection | undefined;
}

/** ADR-20 ObjectInfo: the JSON of an object-store meta message (`$O.<bucket>.M.<base64 name>`). */
interface ObjectMeta extends IndexedMeta {
  description?: string;
  headers?: Record<string, string[]>;
  options?: { max_chunk_size?: number };
  bucket: string;
  chunks: number;
  digest: string;
}

interface StoredMeta {
  info: ObjectMeta;
  /** Stream sequence of the meta message: the expected last subject sequence of its next write. */
  revision: number;
}

/** The KV value of an upload. Its chunks are the truth; the size here may lag them (a crash). */
interface UploadRecord {
  createdAt: string;
  touchedAt: string;
  size: number;
  /** First and last message of the upload's chunk subject (0: none yet). */
  firstSeq: number;
  lastSeq: number;
}

interface UploadState {
  id: string;
  size: number;
  firstSeq: number;
  lastSeq: number;
  touchedAt: number;
  /** Set when the last message is a commit's seal. */
  seal?: { digest: string; seq: number; time: number };
  record: UploadRecord;
  revision: number;
}

/**
 * The running sha256 of an upload whose bytes all went through this process (sha256 only: it is
 * what registries push, and CPU spent here is taken from JetStream on the same host; a sha512
 * commit reads the upload back once).
 */
interface UploadHashes {
  size: number;
  /** Last message this process wrote to the upload's subject: a write by anyone else invalidates. */
  lastSeq: number;
  sha256: Hash;
}

/** Direct gets (any replica answers, raw bytes): nats.js 2.29 has them on its manager but not in its type. */
interface DirectGet {
  getMessage(stream: string, query: { next_by_subj: string; seq: number }): Promise<StoredMsg>;
}

interface Context {
  nc: Connection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  direct?: DirectGet;
  uploads: KV;
  chunkSize: number;
}

/** Where a read starts: the chunk message at or after `seq` begins at byte `pos`. */
interface ReadCursor {
  seq: number;
  pos: number;
  msg?: StoredMsg;
}

function apiErrorCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

/** No such message (a missing stream is not that: it is an error). */
function isNotFound(err: unknown): boolean {
  return err instanceof NatsError && err.code === '404' && apiErrorCode(err) !== STREAM_NOT_FOUND;
}

/** Padded base64url, as object-store clients encode names in meta subjects. */
function base64Name(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`upload source yielded ${typeof chunk}, not bytes`);
}

function offsetOf(msg: StoredMsg): number | undefined {
  const value = msg.header?.get(OFFSET_HEADER);
  return value ? Number(value) : undefined;
}

function sealOf(msg: StoredMsg): string | undefined {
  return msg.header?.get(SEAL_HEADER) || undefined;
}

/**
 * Blobs in a NATS JetStream object store, for clusters that outgrow one disk (see
 * apps/layer-store/README.md). The layout is the object store's (ADR-20), so `nats object` tools
 * can read the bucket: a blob is the meta message `$O.<bucket>.M.<base64(digest)>` (ObjectInfo
 * JSON, with the commit time in its metadata) plus chunk messages on `$O.<bucket>.C.<nuid>`.
 *
 * An upload writes its chunks straight to `$O.<bucket>.C.<upload id>`, each chunk publish
 * conditional on the subject's last sequence (so appends are serialized by the server and a chunk
 * never lands after a gap) and carrying its byte offset (so ranged reads can search the chunks
 * instead of reading from the start). The upload's record (KV `<bucket>-uploads`) says it exists and caches its size. A
 * commit verifies the digest, seals the subject with an empty message (no append can follow) and
 * publishes the meta, conditional on the meta subject's last sequence: the blob becomes visible
 * whole in one message, and no bytes are copied. Meta writes (commit, refresh of the commit time,
 * delete) are all compare-and-set on the meta subject, so concurrent replicas cannot undo each
 * other: a delete with `ifCommittedBefore` never removes a blob that a commit refreshed meanwhile.
 * Upload operations are serialized per upload in this process.
 */
export class JetStreamBlobBackend extends BlobBackend {
  readonly name = 'jetstream';
  readonly bucket: string;
  readonly uploadsBucket: string;
  private readonly stream: string;
  private readonly chunkPrefix: string;
  private readonly replicas: number;
  private readonly storage: StorageType;
  private readonly timeoutMs: number;
  private readonly deleteGraceMs: number;
  private readonly preferredChunkSize: number;
  private readonly hashes = new Map<string, UploadHashes>();
  private readonly uploadLocks = new KeyedMutex();
  private readonly index = new BlobIndex();
  private readonly indexLock = new KeyedMutex();
  /** Chunk subjects of deleted blobs, purged after the grace period (or at close). */
  private readonly pendingPurges = new Map<string, NodeJS.Timeout>();
  private context?: { nc: Connection; ready: Promise<Context> };
  private closed = false;

  constructor(
    private readonly connection: NatsConnectionSource,
    options: JetStreamBlobBackendOptions = {},
  ) {
    super();
    this.bucket = options.bucket ?? 'silo-blobs';
    this.uploadsBucket = options.uploadsBucket ?? `${this.bucket}-uploads`;
    for (const name of [this.bucket, this.uploadsBucket]) {
      if (!BUCKET_NAME.test(name)) throw new Error(`invalid JetStream bucket name ${JSON.stringify(name)}: letters, digits, - and _ only`);
    }
    this.stream = `OBJ_${this.bucket}`;
    this.chunkPrefix = `$O.${this.bucket}.C.`;
    this.replicas = options.replicas ?? 1;
    this.storage = options.storage === 'memory' ? StorageType.Memory : StorageType.File;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.deleteGraceMs = options.deleteGraceMs ?? 60_000;
    this.preferredChunkSize = options.chunkSize ?? 1024 * KiB;
  }

  // --- blobs -----------------------------------------------------------------------------------

  async stat(digest: string): Promise<BlobInfo | undefined> {
    parseBlobDigest(digest);
    return this.guard(async (ctx) => {
      const meta = await this.readMeta(ctx, digest);
      return meta && !meta.info.deleted ? { digest, size: meta.info.size, committedAt: committedAtOf(meta.info) } : undefined;
    });
  }

  async openRead(digest: string, range?: ByteRange): Promise<Readable> {
    parseBlobDigest(digest);
    return this.guard(async (ctx) => {
      const meta = await this.readMeta(ctx, digest);
      if (!meta || meta.info.deleted) throw new BlobUnknown(digest);
      const { size, nuid } = meta.info;
      let start = 0;
      let end = size - 1;
      if (range) {
        ({ start, end } = range);
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end >= size) {
          throw new RangeNotSatisfiable(size, `${start}-${end}`);
        }
      }
      if (size === 0) return Readable.from([], { objectMode: false });
      const first = Number(meta.info.metadata?.[FIRST_SEQ]) || 1;
      const last = Number(meta.info.metadata?.[LAST_SEQ]) || 0;
      const cursor = start > 0 && last > first ? await this.seek(ctx, nuid, size, first, last, start) : { seq: first, pos: 0 };
      return Readable.from(this.readChunks(ctx, nuid, cursor, start, end), { objectMode: false, highWaterMark: ctx.chunkSize });
    });
  }

  async delete(digest: string, ifCommittedBefore?: Date): Promise<DeleteResult> {
    parseBlobDigest(digest);
    const cutoff = ifCommittedBefore?.getTime();
    return this.guard(async (ctx) => {
      for (;;) {
        const meta = await this.readMeta(ctx, digest);
        if (!meta || meta.info.deleted) return { deleted: false, freedBytes: 0 };
        if (cutoff !== undefined && committedAtOf(meta.info).getTime() >= cutoff) return { deleted: false, freedBytes: 0 };
        const now = new Date().toISOString();
        const marker: ObjectMeta = {
          ...meta.info,
          deleted: true,
          size: 0,
          chunks: 0,
          digest: '',
          metadata: { ...meta.info.metadata, [DELETED_AT]: now },
        };
        // Conditional on the meta we checked: a commit that refreshed it meanwhile wins.
        if (!(await this.publishMeta(ctx, marker, meta.revision))) continue;
        this.purgeChunksLater(ctx, meta.info.nuid);
        return { deleted: true, freedBytes: meta.info.size };
      }
    });
  }

  async list(after: string | undefined, limit: number): Promise<BlobPage> {
    if (after !== undefined) parseBlobDigest(after);
    const max = Math.max(1, Math.floor(limit));
    return this.guard(async (ctx) => {
      await this.catchUpIndex(ctx);
      return this.index.page(after, max);
    });
  }

  async usage(): Promise<StoreUsage> {
    return this.guard(async (ctx) => {
      await this.catchUpIndex(ctx);
      const usage: StoreUsage = { blobs: this.index.blobs, bytes: this.index.bytes, uploads: 0, uploadBytes: 0 };
      for (const id of await this.uploadIds(ctx)) {
        const state = await this.liveUpload(ctx, id).catch((err: unknown) => {
          if (err instanceof UploadUnknown) return undefined;
          throw err;
        });
        if (!state) continue;
        usage.uploads += 1;
        usage.uploadBytes += state.size;
      }
      return usage;
    });
  }

  // --- uploads ---------------------------------------------------------------------------------

  async createUpload(): Promise<string> {
    return this.guard(async (ctx) => {
      const id = randomUUID();
      const now = new Date().toISOString();
      const record: UploadRecord = { createdAt: now, touchedAt: now, size: 0, firstSeq: 0, lastSeq: 0 };
      await ctx.uploads.create(id, JSON.stringify(record));
      this.hashes.set(id, { size: 0, lastSeq: 0, sha256: createHash('sha256') });
      return id;
    });
  }

  async appendUpload(id: string, expectedOffset: number, source: Readable): Promise<number> {
    checkUploadId(id);
    return this.uploadLocks.run(id, () => this.guard((ctx) => this.append(ctx, id, expectedOffset, source)));
  }

  async uploadSize(id: string): Promise<number> {
    checkUploadId(id);
    return this.guard(async (ctx) => (await this.liveUpload(ctx, id)).size);
  }

  async commitUpload(id: string, digest: string): Promise<CommittedBlob> {
    const parsed = parseBlobDigest(digest);
    checkUploadId(id);
    return this.uploadLocks.run(id, () => this.guard((ctx) => this.commit(ctx, id, digest, parsed)));
  }

  async cancelUpload(id: string): Promise<void> {
    checkUploadId(id);
    await this.uploadLocks.run(id, () =>
      this.guard(async (ctx) => {
        await this.discard(ctx, await this.liveUpload(ctx, id));
      }),
    );
  }

  async purgeUploads(olderThan: Date): Promise<PurgeResult> {
    const cutoff = olderThan.getTime();
    return this.guard(async (ctx) => {
      const result: PurgeResult = { purged: 0, freedBytes: 0 };
      for (const id of await this.uploadIds(ctx)) {
        if (this.uploadLocks.isLocked(id)) continue; // being written or committed right now
        await this.uploadLocks.run(id, async () => {
          const state = await this.liveUpload(ctx, id).catch((err: unknown) => {
            if (err instanceof UploadUnknown) return undefined;
            throw err;
          });
          if (!state || state.touchedAt >= cutoff) return;
          if (state.seal && Date.now() - state.seal.time < SEAL_GRACE_MS) return; // a commit in flight elsewhere
          await this.discard(ctx, state);
          result.purged += 1;
          result.freedBytes += state.size;
        });
      }
      await this.sweepOrphanChunks(ctx);
      return result;
    });
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** A health check: the bucket's stream answers (created on first use). */
  async health(): Promise<string> {
    return this.guard(async (ctx) => {
      const info = await ctx.jsm.streams.info(this.stream);
      const { messages, bytes } = info.state;
      return `bucket ${this.bucket}: ${messages} messages, ${bytes} bytes, ${info.config.num_replicas} replica(s), ${info.config.storage} storage`;
    });
  }

  /** Purges the chunks of deleted blobs still in their grace period (reads still open fail). */
  async close(): Promise<void> {
    this.closed = true;
    const nuids = [...this.pendingPurges.keys()];
    for (const timer of this.pendingPurges.values()) clearTimeout(timer);
    this.pendingPurges.clear();
    const context = this.context;
    const ctx = context && context.nc === this.connection.current() ? await context.ready.catch(() => undefined) : undefined;
    if (!ctx) return;
    for (const nuid of nuids) await this.purgeChunks(ctx, nuid).catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  // --- upload internals ------------------------------------------------------------------------

  private async append(ctx: Context, id: string, expectedOffset: number, source: Readable): Promise<number> {
    const state = await this.liveUpload(ctx, id);
    if (state.size !== expectedOffset) throw new UploadOffsetMismatch(expectedOffset, state.size);
    let hashes = this.hashes.get(id);
    if (hashes && (hashes.size !== state.size || hashes.lastSeq !== state.lastSeq)) {
      this.hashes.delete(id);
      hashes = undefined;
    }
    const subject = this.chunkSubject(id);
    const written = { size: state.size, firstSeq: state.firstSeq, lastSeq: state.lastSeq };
    let storeError: unknown;
    const publish = async (chunk: Buffer) => {
      const h = headers();
      h.set(OFFSET_HEADER, String(written.size));
      const stored = ctx.js.publish(subject, chunk, { headers: h, expect: { lastSubjectSequence: written.lastSeq } });
      // Hashing while JetStream stores the chunk; the hashes are dropped if it does not.
      hashes?.sha256.update(chunk);
      let ack: PubAck;
      try {
        ack = await stored;
      } catch (err) {
        this.hashes.delete(id);
        hashes = undefined;
        storeError = err;
        throw err;
      }
      written.size += chunk.length;
      written.firstSeq ||= ack.seq;
      written.lastSeq = ack.seq;
      if (hashes) {
        hashes.size = written.size;
        hashes.lastSeq = ack.seq;
      }
    };
    // Chunks of chunkSize bytes (the last one of an append may be shorter), one at a time: the
    // source is read no faster than JetStream stores (backpressure), and after a failure of the
    // source everything received so far is stored and the upload resumes from its size.
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const take = (bytes: number): Buffer => {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      if (all.length > bytes) pending.push(all.subarray(bytes));
      pendingBytes = all.length - bytes;
      return all.subarray(0, bytes);
    };
    let failure: unknown;
    try {
      for await (const chunk of source) {
        const bytes = toBuffer(chunk);
        if (bytes.length === 0) continue;
        pending.push(bytes);
        pendingBytes += bytes.length;
        while (pendingBytes >= ctx.chunkSize) await publish(take(ctx.chunkSize));
      }
    } catch (err) {
      failure = err;
    }
    try {
      if (storeError === undefined && pendingBytes > 0) await publish(take(pendingBytes));
    } catch (err) {
      failure ??= err;
    }
    if (written.lastSeq !== state.lastSeq) {
      const record: UploadRecord = { ...state.record, size: written.size, firstSeq: written.firstSeq, lastSeq: written.lastSeq, touchedAt: new Date().toISOString() };
      // Only a cache of the chunks (see uploadState); a conflicting write leaves it to them.
      await ctx.uploads.update(id, JSON.stringify(record), state.revision).catch(() => undefined);
    }
    if (failure !== undefined) {
      if (storeError !== undefined && apiErrorCode(storeError) === WRONG_LAST_SEQUENCE) {
        // Someone else (another replica) appended meanwhile.
        throw new UploadOffsetMismatch(expectedOffset, (await this.liveUpload(ctx, id)).size);
      }
      throw failure;
    }
    return written.size;
  }

  private async commit(ctx: Context, id: string, digest: string, parsed: ParsedDigest): Promise<CommittedBlob> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.liveUpload(ctx, id);
      const { actual, sha256 } = await this.digestOf(ctx, state, parsed.algorithm);
      if (actual !== digest) {
        await this.discard(ctx, state);
        throw new DigestMismatch(digest, actual, state.size);
      }
      const outcome = await this.publishBlob(ctx, state, digest, sha256);
      if (outcome === 'committed') return { digest, size: state.size };
      if (attempt === 3) throw new BlobStoreUnavailable(`upload ${id} keeps changing during its commit`);
    }
  }

  /** Makes the verified upload the blob `digest` (or refreshes an existing one and drops it). */
  private async publishBlob(ctx: Context, state: UploadState, digest: string, sha256: Buffer): Promise<'committed' | 'changed'> {
    let sealSeq = state.seal?.digest === digest ? state.seal.seq : undefined;
    for (;;) {
      const existing = await this.readMeta(ctx, digest);
      const now = new Date().toISOString();
      if (existing && !existing.info.deleted) {
        const refreshed: ObjectMeta = { ...existing.info, mtime: now, metadata: { ...existing.info.metadata, [COMMITTED_AT]: now } };
        if (!(await this.publishMeta(ctx, refreshed, existing.revision))) continue;
        await this.discard(ctx, state);
        return 'committed';
      }
      if (sealSeq === undefined) {
        // The seal ends the subject: an append still in flight elsewhere now fails instead of
        // adding bytes behind the blob's back.
        const h = headers();
        h.set(OFFSET_HEADER, String(state.size));
        h.set(SEAL_HEADER, digest);
        try {
          sealSeq = (await ctx.js.publish(this.chunkSubject(state.id), Buffer.alloc(0), { headers: h, expect: { lastSubjectSequence: state.lastSeq } })).seq;
        } catch (err) {
          if (apiErrorCode(err) === WRONG_LAST_SEQUENCE) return 'changed';
          throw err;
        }
        const hashes = this.hashes.get(state.id);
        if (hashes?.lastSeq === state.lastSeq) hashes.lastSeq = sealSeq;
      }
      const info: ObjectMeta = {
        name: digest,
        description: '',
        bucket: this.bucket,
        nuid: state.id,
        size: state.size,
        chunks: await this.countMessages(ctx, state.id),
        mtime: now,
        digest: `SHA-256=${sha256.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`,
        deleted: false,
        options: { max_chunk_size: ctx.chunkSize },
        metadata: { [COMMITTED_AT]: now, [FIRST_SEQ]: String(state.firstSeq || sealSeq), [LAST_SEQ]: String(sealSeq) },
      };
      if (!(await this.publishMeta(ctx, info, existing?.revision ?? 0))) continue; // committed concurrently
      this.hashes.delete(state.id);
      await this.removeRecord(ctx, state.id);
      return 'committed';
    }
  }

  /**
   * An upload's state: its record, brought up to date with the chunks stored after the record
   * was written (an append that a crash broke off, another replica's append in flight, a seal).
   */
  private async uploadState(ctx: Context, id: string): Promise<UploadState> {
    const entry = await ctx.uploads.get(id);
    if (!entry || entry.operation !== 'PUT') throw new UploadUnknown(id);
    const record = entry.json<UploadRecord>();
    const state: UploadState = {
      id,
      size: record.size,
      firstSeq: record.firstSeq,
      lastSeq: record.lastSeq,
      touchedAt: Date.parse(record.touchedAt),
      record,
      revision: entry.revision,
    };
    const subject = this.chunkSubject(id);
    const newer = await this.leaderGet(ctx, { next_by_subj: subject, seq: record.lastSeq + 1 });
    if (!newer) return state;
    const last = (await this.leaderGet(ctx, { last_by_subj: subject })) ?? newer;
    const offset = offsetOf(last);
    if (offset === undefined) throw new Error(`upload ${id}: chunk ${last.seq} has no ${OFFSET_HEADER} header`);
    state.size = offset + last.data.length;
    state.firstSeq ||= newer.seq;
    state.lastSeq = last.seq;
    state.touchedAt = Math.max(state.touchedAt, last.time.getTime());
    const seal = sealOf(last);
    if (seal) state.seal = { digest: seal, seq: last.seq, time: last.time.getTime() };
    return state;
  }

  /** The upload's state; an upload whose commit was cut off after its blob became visible is gone. */
  private async liveUpload(ctx: Context, id: string): Promise<UploadState> {
    const state = await this.uploadState(ctx, id);
    if (await this.committedAs(ctx, state)) {
      await this.removeRecord(ctx, id);
      this.hashes.delete(id);
      throw new UploadUnknown(id);
    }
    return state;
  }

  /** Whether a blob's meta refers to the upload's chunks (its seal names the blob). */
  private async committedAs(ctx: Context, state: UploadState): Promise<boolean> {
    if (!state.seal) return false;
    const meta = await this.readMeta(ctx, state.seal.digest);
    return meta !== undefined && !meta.info.deleted && meta.info.nuid === state.id;
  }

  /** Removes the upload: record first (it is then unknown), then its chunks unless a blob has them. */
  private async discard(ctx: Context, state: UploadState): Promise<void> {
    this.hashes.delete(state.id);
    await this.removeRecord(ctx, state.id);
    if (await this.committedAs(ctx, state)) return;
    await this.purgeChunks(ctx, state.id);
  }

  /** Purges the key's subject: no delete marker stays behind in the KV stream. */
  private async removeRecord(ctx: Context, id: string): Promise<void> {
    await ctx.jsm.streams.purge(`KV_${this.uploadsBucket}`, { filter: `$KV.${this.uploadsBucket}.${id}` });
  }

  private async uploadIds(ctx: Context): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of await ctx.uploads.keys()) if (UPLOAD_ID.test(key)) ids.push(key);
    return ids;
  }

  /** From the running sha256 when it covers exactly what is stored, else by reading the upload once. */
  private async digestOf(ctx: Context, state: UploadState, algorithm: DigestAlgorithm): Promise<{ actual: string; sha256: Buffer }> {
    const hashes = this.hashes.get(state.id);
    if (algorithm === 'sha256' && hashes && hashes.size === state.size && hashes.lastSeq === state.lastSeq) {
      const sha256 = hashes.sha256.copy().digest();
      return { actual: `sha256:${sha256.toString('hex')}`, sha256 };
    }
    const sha256 = createHash('sha256');
    const other = algorithm === 'sha256' ? undefined : createHash(algorithm);
    if (state.size > 0) {
      for await (const chunk of this.readChunks(ctx, state.id, { seq: state.firstSeq || 1, pos: 0 }, 0, state.size - 1)) {
        sha256.update(chunk);
        other?.update(chunk);
      }
    }
    const sha256Bytes = sha256.digest();
    return { actual: `${algorithm}:${other ? other.digest('hex') : sha256Bytes.toString('hex')}`, sha256: sha256Bytes };
  }

  // --- chunks ----------------------------------------------------------------------------------

  /** The bytes start..end (inclusive) of the object whose chunks are on `nuid`'s subject. */
  private async *readChunks(ctx: Context, nuid: string, from: ReadCursor, start: number, end: number): AsyncGenerator<Buffer> {
    const subject = this.chunkSubject(nuid);
    let { pos } = from;
    let next: Promise<StoredMsg | undefined> = from.msg ? Promise.resolve(from.msg) : this.chunkAt(ctx, subject, from.seq);
    while (pos <= end) {
      const msg = await next;
      if (!msg) throw new Error(`blob data missing at byte ${pos} (deleted while being read?)`);
      const offset = offsetOf(msg) ?? pos;
      if (offset !== pos) throw new Error(`blob data inconsistent: chunk ${msg.seq} starts at byte ${offset}, expected ${pos}`);
      const data = msg.data;
      const first = Math.max(0, start - pos);
      const last = Math.min(data.length, end - pos + 1);
      pos += data.length;
      if (pos <= end) {
        // One chunk ahead: the next request travels while the caller takes this one.
        next = this.chunkAt(ctx, subject, msg.seq + 1);
        next.catch(() => undefined); // awaited on the next turn, or abandoned with the stream
      }
      if (last > first) yield Buffer.from(data.buffer, data.byteOffset + first, last - first);
    }
  }

  /**
   * Finds the chunk holding byte `start` by searching the stream sequences between the object's
   * first and last message on the chunks' offsets: interpolation (one probe when the chunks are
   * contiguous and even) alternating with bisection (logarithmic at worst).
   */
  private async seek(ctx: Context, nuid: string, size: number, firstSeq: number, lastSeq: number, start: number): Promise<ReadCursor> {
    const subject = this.chunkSubject(nuid);
    // The wanted chunk has a sequence in [lo, hi]; the first chunk at or after lo starts at loOff
    // (<= start), the first one after hi at hiOff (> start).
    let best: ReadCursor = { seq: firstSeq, pos: 0 };
    let lo = firstSeq;
    let loOff = 0;
    let hi = lastSeq;
    let hiOff = size;
    for (let probe = 0; lo < hi; probe++) {
      const guess = probe % 2 === 0 ? lo + Math.floor(((hi - lo) * (start - loOff)) / Math.max(1, hiOff - loOff)) : Math.floor((lo + hi + 1) / 2);
      const mid = Math.min(hi, Math.max(lo + 1, guess));
      const msg = await this.chunkAt(ctx, subject, mid);
      if (!msg || msg.seq > hi) {
        hi = mid - 1;
        continue;
      }
      const offset = offsetOf(msg);
      if (offset === undefined) return { seq: firstSeq, pos: 0 }; // not written by us: read from the start
      if (offset <= start) {
        best = { seq: msg.seq, pos: offset, msg };
        if (offset + msg.data.length > start) break;
        lo = msg.seq;
        loOff = offset;
      } else {
        hi = mid - 1;
        hiOff = offset;
      }
    }
    return best;
  }

  /** The first message of `subject` at or after `seq` (direct get, else from the stream leader). */
  private async chunkAt(ctx: Context, subject: string, seq: number): Promise<StoredMsg | undefined> {
    if (ctx.direct) {
      try {
        return await ctx.direct.getMessage(this.stream, { next_by_subj: subject, seq });
      } catch (err) {
        // A replica may lag the leader: ask the leader before calling it missing.
        if (!isNotFound(err)) throw err;
      }
    }
    return this.leaderGet(ctx, { next_by_subj: subject, seq });
  }

  private purgeChunksLater(ctx: Context, nuid: string): void {
    if (this.deleteGraceMs <= 0 || this.closed) {
      void this.purgeChunks(ctx, nuid).catch(() => undefined);
      return;
    }
    clearTimeout(this.pendingPurges.get(nuid));
    const timer = setTimeout(() => {
      this.pendingPurges.delete(nuid);
      // Left for the orphan sweep (purgeUploads) when it fails.
      void this.purgeChunks(ctx, nuid).catch(() => undefined);
    }, this.deleteGraceMs);
    timer.unref();
    this.pendingPurges.set(nuid, timer);
  }

  private async purgeChunks(ctx: Context, nuid: string): Promise<void> {
    await ctx.jsm.streams.purge(this.stream, { filter: this.chunkSubject(nuid) });
  }

  private async countMessages(ctx: Context, nuid: string): Promise<number> {
    const subject = this.chunkSubject(nuid);
    const info = await ctx.jsm.streams.info(this.stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /**
   * Purges chunk subjects that nothing owns: no upload record, no live meta, no recent delete.
   * They are what a crash leaves between a record's removal and its chunks' purge (cancel, purge,
   * delete after its grace period), or an append that lost a race with a cancel.
   */
  private async sweepOrphanChunks(ctx: Context): Promise<void> {
    // Order matters: subjects first, then records, then metas; whatever became an upload or a
    // blob after the subjects were listed is known by the time it is checked.
    const info = await ctx.jsm.streams.info(this.stream, { subjects_filter: `${this.chunkPrefix}>` });
    const subjects = Object.keys(info.state.subjects ?? {});
    if (subjects.length === 0) return;
    const uploads = new Set(await this.uploadIds(ctx));
    await this.catchUpIndex(ctx);
    const owned = this.index.protectedNuids(Date.now() - this.deleteGraceMs);
    for (const subject of subjects) {
      const nuid = subject.slice(this.chunkPrefix.length);
      if (uploads.has(nuid) || owned.has(nuid) || this.pendingPurges.has(nuid) || this.uploadLocks.isLocked(nuid)) continue;
      await this.purgeChunks(ctx, nuid);
    }
  }

  // --- metas and the index ---------------------------------------------------------------------

  private async readMeta(ctx: Context, name: string): Promise<StoredMeta | undefined> {
    const msg = await this.leaderGet(ctx, { last_by_subj: this.metaSubject(name) });
    if (!msg) return undefined;
    const info = msg.json<ObjectMeta>();
    if (info.name !== name) return undefined;
    return { info, revision: msg.seq };
  }

  /** Writes the meta if its subject is still at `expectedRevision`; false when it is not. */
  private async publishMeta(ctx: Context, info: ObjectMeta, expectedRevision: number): Promise<boolean> {
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    try {
      await ctx.js.publish(this.metaSubject(info.name), JSON.stringify(info), { headers: h, expect: { lastSubjectSequence: expectedRevision } });
      return true;
    } catch (err) {
      if (apiErrorCode(err) === WRONG_LAST_SEQUENCE) return false;
      throw err;
    }
  }

  /**
   * Brings the index up to the stream: one cheap probe when nothing changed, else an ordered
   * consumer over the meta subjects (the last meta of each object on the first load, every meta
   * written since afterwards).
   */
  private catchUpIndex(ctx: Context): Promise<void> {
    return this.indexLock.run('index', async () => {
      const metas = `$O.${this.bucket}.M.>`;
      const probe = await this.leaderGet(ctx, { next_by_subj: metas, seq: this.index.lastSeq + 1 });
      if (!probe) return;
      const consumer = await ctx.js.consumers.get(
        this.stream,
        this.index.loaded
          ? { filterSubjects: metas, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.index.lastSeq + 1 }
          : { filterSubjects: metas, deliver_policy: DeliverPolicy.LastPerSubject },
      );
      try {
        for (let done = false; !done; ) {
          const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
          let received = 0;
          for await (const msg of batch) {
            received += 1;
            this.index.lastSeq = Math.max(this.index.lastSeq, msg.seq);
            try {
              this.index.apply(msg.seq, msg.json<ObjectMeta>());
            } catch {
              // not an object meta (someone else's message): nothing to index
            }
            if (msg.info.pending === 0) {
              done = true;
              break;
            }
          }
          if (received === 0) done = true;
        }
        this.index.loaded = true;
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    });
  }

  // --- plumbing --------------------------------------------------------------------------------

  /** A message from the stream leader (consistent reads), or undefined when there is none. */
  private async leaderGet(ctx: Context, query: { last_by_subj: string } | { next_by_subj: string; seq: number }): Promise<StoredMsg | undefined> {
    try {
      // STREAM.MSG.GET takes next_by_subj since server 2.9; nats.js 2.29 only types it for direct gets.
      return await ctx.jsm.streams.getMessage(this.stream, query as { last_by_subj: string });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private chunkSubject(nuid: string): string {
    return `${this.chunkPrefix}${nuid}`;
  }

  private metaSubject(name: string): string {
    return `$O.${this.bucket}.M.${base64Name(name)}`;
  }

  /** Runs `fn` with the JetStream context; transport failures become BlobStoreUnavailable (503). */
  private async guard<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.ready());
    } catch (err) {
      // Deleted behind our back (or JetStream lost its store): make the buckets again next time.
      if (apiErrorCode(err) === STREAM_NOT_FOUND) this.context = undefined;
      throw this.describe(err);
    }
  }

  private describe(err: unknown): unknown {
    if (err instanceof SiloError) return err;
    if (err instanceof NatsError && (TRANSPORT_ERRORS.has(err.code) || err.api_error)) {
      return new BlobStoreUnavailable(`JetStream at ${this.connection.url}: ${err.api_error?.description ?? err.message}`);
    }
    if (err instanceof Error && err.name === 'NatsUnavailableError') return new BlobStoreUnavailable(err.message);
    return err;
  }

  /** The JetStream context on the current connection, with both buckets created or checked once. */
  private ready(): Promise<Context> {
    const nc = this.connection.current();
    if (!nc) return Promise.reject(new BlobStoreUnavailable(`not connected to NATS at ${this.connection.url}`));
    if (this.context?.nc !== nc) {
      const ready = this.open(nc);
      this.context = { nc, ready };
      ready.catch(() => {
        if (this.context?.ready === ready) this.context = undefined;
      });
    }
    return this.context.ready;
  }

  private async open(nc: Connection): Promise<Context> {
    const js = nc.jetstream({ timeout: this.timeoutMs });
    const jsm = await nc.jetstreamManager({ timeout: this.timeoutMs });
    const blobs = await this.ensureStream(jsm, {
      name: this.stream,
      description: 'Silo layer store: blobs (NATS object store layout) and upload chunks',
      subjects: [`${this.chunkPrefix}>`, `$O.${this.bucket}.M.>`],
      storage: this.storage,
      num_replicas: this.replicas,
      discard: DiscardPolicy.New,
      allow_rollup_hdrs: true,
      allow_direct: true,
      max_age: 0,
    });
    // Leader reads (allow_direct off): an upload's record must never be read stale.
    const uploads = await js.views.kv(this.uploadsBucket, { history: 1, storage: this.storage, replicas: this.replicas, allow_direct: false });
    await this.ensureReplicas(jsm, await jsm.streams.info(`KV_${this.uploadsBucket}`));
    const maxPayload = nc.info?.max_payload ?? 1024 * KiB;
    const chunkSize = Math.max(1, Math.min(this.preferredChunkSize, maxPayload - 4 * KiB));
    const direct = blobs.config.allow_direct === true ? (jsm as JetStreamManager & { direct?: DirectGet }).direct : undefined;
    return { nc, js, jsm, direct, uploads, chunkSize };
  }

  private async ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(config.name);
    } catch (err) {
      if (apiErrorCode(err) !== STREAM_NOT_FOUND && !(err instanceof Error && err.message === 'stream not found')) throw err;
      info = await jsm.streams.add(config);
    }
    return this.ensureReplicas(jsm, info);
  }

  /** Scales an existing stream to the configured replicas (a cluster moves the data itself). */
  private async ensureReplicas(jsm: JetStreamManager, info: StreamInfo): Promise<StreamInfo> {
    if (info.config.num_replicas === this.replicas) return info;
    return jsm.streams.update(info.config.name, { ...info.config, num_replicas: this.replicas });
  }


}
