import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface CommittedBlob {
  digest: string;
  size: number;
}

/** The layer store as the registry uses it (bytes only; metadata stays in the registry). */
export abstract class BlobStore {
  abstract createUpload(): Promise<string>;
  /** Appends `body` at `offset`; the new size. A wrong offset throws RANGE_INVALID with details.size. */
  abstract append(uploadId: string, offset: number, body: Readable, length?: number): Promise<number>;
  abstract uploadSize(uploadId: string): Promise<number>;
  /** Commits (after appending `body` at `offset`, if given), verifying the digest. */
  abstract commit(uploadId: string, digest: string, body?: { stream: Readable; offset: number; length?: number }): Promise<CommittedBlob>;
  abstract cancel(uploadId: string): Promise<void>;
  /** Size of a committed blob, or undefined. */
  abstract stat(digest: string): Promise<number | undefined>;
  /** A signed, expiring URL that serves the blob (for a 307 redirect). */
  abstract readUrl(digest: string, base: string): string;
  /**
   * A signed, expiring URL on the store's OCI upload endpoint (`/v2/<repository>/blobs/uploads/<id>`),
   * the Location of a direct upload.
   */
  abstract uploadUrl(repository: string, uploadId: string, base: string): string;
  /** The store's response for the blob (proxy mode), with the client's Range header passed on. */
  abstract openRead(digest: string, range?: string, method?: 'GET' | 'HEAD'): Promise<IncomingMessage>;
}
