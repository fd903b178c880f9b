import type { Readable } from 'node:stream';

/** A committed blob. */
export interface BlobInfo {
  digest: string;
  size: number;
  /** When the blob was last committed (a re-upload of an existing blob refreshes it). */
  committedAt: Date;
}

/** An inclusive byte range, as HTTP `Range: bytes=start-end` has it. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface CommittedBlob {
  digest: string;
  size: number;
}

export interface DeleteResult {
  deleted: boolean;
  /** Bytes freed (0 when not deleted). */
  freedBytes: number;
}

export interface BlobPage {
  /** In lexical digest order. */
  blobs: BlobInfo[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface StoreUsage {
  blobs: number;
  bytes: number;
  uploads: number;
  uploadBytes: number;
}

/**
 * A committed blob as positional reads into the caller's buffers: for a backend whose blobs are
 * files, so that serving a blob allocates nothing per chunk (allocations of blob bytes are what
 * sets off the service's full garbage collections). The caller closes it.
 */
export interface BlobReader {
  readonly size: number;
  /** Reads up to `buffer.length` bytes at `position`; 0 at the end. */
  read(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface PurgeResult {
  purged: number;
  freedBytes: number;
}

/**
 * Where blob bytes live: content-addressed blobs, and resumable uploads that become a blob only
 * once their digest is verified. The abstract class is the DI token; the filesystem backend is the
 * default, the NATS JetStream object-store backend (`SILO_LAYER_STORE_BACKEND=jetstream`) is for
 * clusters. Every implementation passes the one conformance suite (`blob-backend.conformance.ts`).
 *
 * Errors are domain errors from `./errors`: BlobUnknown, UploadUnknown, UploadOffsetMismatch,
 * DigestMismatch, RangeNotSatisfiable, InvalidDigest, and BlobStoreUnavailable (503) when a
 * backend's storage service cannot be reached.
 */
export abstract class BlobBackend {
  /** Short name, reported by `silo.layer-store.usage` (`filesystem`, `jetstream`). */
  abstract readonly name: string;

  /** The blob, or undefined when it is not (or no longer) stored. */
  abstract stat(digest: string): Promise<BlobInfo | undefined>;

  /**
   * The blob's bytes, or the inclusive `range` of them. Throws BlobUnknown, or
   * RangeNotSatisfiable when the range does not lie inside the blob.
   */
  abstract openRead(digest: string, range?: ByteRange): Promise<Readable>;

  /** Starts an upload; returns its id (a UUID). */
  /** A positional reader of the blob, when the backend has one (undefined: use `openRead`). BlobUnknown if absent. */
  openReader(_digest: string): Promise<BlobReader | undefined> {
    return Promise.resolve(undefined);
  }

  abstract createUpload(): Promise<string>;

  /**
   * Appends `source` to the upload when `expectedOffset` is its current size, and returns the
   * new size. A wrong offset is refused with UploadOffsetMismatch (carrying the current size)
   * before anything is read. When `source` fails midway, the bytes received so far are kept and
   * the upload can be resumed from its new size.
   */
  abstract appendUpload(id: string, expectedOffset: number, source: Readable): Promise<number>;

  /** Bytes received so far. Throws UploadUnknown. */
  abstract uploadSize(id: string): Promise<number>;

  /**
   * Verifies the upload against `digest` and makes it a blob. On mismatch the upload is deleted
   * and DigestMismatch thrown. When the blob already exists, the upload is discarded, the blob's
   * commit time refreshed, and the commit succeeds.
   */
  abstract commitUpload(id: string, digest: string): Promise<CommittedBlob>;

  /** Abandons an upload and frees its bytes. Throws UploadUnknown. */
  abstract cancelUpload(id: string): Promise<void>;

  /**
   * Deletes a blob. With `ifCommittedBefore`, a blob committed at or after that instant is kept
   * (a push may be about to reference it). An unknown blob is not an error: `deleted: false`.
   * Reads already open keep working.
   */
  abstract delete(digest: string, ifCommittedBefore?: Date): Promise<DeleteResult>;

  /** Blobs in lexical digest order, strictly after `after`, at most `limit`. */
  abstract list(after: string | undefined, limit: number): Promise<BlobPage>;

  abstract usage(): Promise<StoreUsage>;

  /** Removes uploads untouched (no append) since `olderThan`; uploads being written are kept. */
  abstract purgeUploads(olderThan: Date): Promise<PurgeResult>;
}
