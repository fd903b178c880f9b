import { Injectable } from '@nestjs/common';
import { parseContentRange, SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import type { Readable } from 'node:stream';
import { QuotaService } from '../accounts/quota.service';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { BlobStore, CommittedBlob } from '../storage/blob-store';

export class UploadUnknown extends SiloError {
  constructor(id: string) {
    super('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown (finished, cancelled or never started)`);
  }
}

/** A chunk that does not start where the upload ends: the client is told where it does (416). */
export class ChunkOutOfOrder extends SiloError {
  constructor(readonly size: number) {
    super('RANGE_INVALID', `the chunk does not start at the end of the upload (${size} bytes so far)`, { size }, 416);
  }
}

export interface ChunkHeaders {
  /** `Content-Range: start-end` of a chunked PATCH. */
  contentRange?: string;
  contentLength?: number;
}

/**
 * Blob uploads (OCI "pushing blobs"): a session in the registry's database for an upload in the
 * layer store (the same id), so either can restart mid-push. The bytes either stream through the
 * registry to the store (the registry's upload URLs), or go straight to the store (a direct
 * upload's signed Location), which reports the end of the upload here (`recordCommitted`,
 * `end`). Either way the store's digest check decides whether a blob exists; only then is it
 * recorded and linked.
 */
@Injectable()
export class BlobUploadService {
  constructor(
    private readonly metadata: RegistryMetadata,
    private readonly store: BlobStore,
    private readonly clock: Clock,
    private readonly quota: QuotaService,
  ) {}

  async start(repository: string): Promise<string> {
    await this.quota.admit(repository);
    const id = await this.store.createUpload();
    await this.metadata.createUpload({ id, repository, storeUploadId: id, startedAt: this.clock.now().toISOString() });
    return id;
  }

  /** The signed Location of a direct upload: the store's upload endpoint as the client reaches it. */
  directLocation(repository: string, id: string, storeBase: string): string {
    return this.store.uploadUrl(repository, id, storeBase);
  }

  /**
   * A direct upload was committed by the store as `digest`: the quota is checked (over it, the
   * bytes stay unlinked for GC to remove), then the blob is linked and the session ends.
   */
  async recordCommitted(repository: string, id: string, digest: string, size: number): Promise<CommittedBlob> {
    await this.session(repository, id);
    try {
      await this.quota.check(repository, digest, size);
    } catch (err) {
      await this.metadata.deleteUpload(id);
      throw err;
    }
    await this.metadata.recordBlob(repository, digest, size, this.clock.now().toISOString(), id);
    return { digest, size };
  }

  /** A direct upload ended without a blob (cancelled, or a digest mismatch): its session goes. */
  async end(repository: string, id: string): Promise<void> {
    await this.session(repository, id);
    await this.metadata.deleteUpload(id);
  }

  /** Single POST with `?digest=` and the whole blob as the body. */
  async monolithic(repository: string, digest: string, body: Readable, length?: number): Promise<CommittedBlob> {
    await this.quota.admit(repository);
    const storeUploadId = await this.store.createUpload();
    try {
      const blob = await this.store.commit(storeUploadId, digest, { stream: body, offset: 0, length });
      await this.quota.check(repository, blob.digest, blob.size);
      await this.metadata.recordBlob(repository, blob.digest, blob.size, this.clock.now().toISOString());
      return blob;
    } catch (err) {
      await this.store.cancel(storeUploadId).catch(() => undefined);
      throw err;
    }
  }

  async size(repository: string, id: string): Promise<number> {
    const session = await this.session(repository, id);
    return this.store.uploadSize(session.storeUploadId);
  }

  /** PATCH: streamed (no Content-Range: appended at the end) or chunked (must start at the end). */
  async append(repository: string, id: string, body: Readable, headers: ChunkHeaders): Promise<number> {
    const session = await this.session(repository, id);
    let offset: number;
    let length = headers.contentLength;
    if (headers.contentRange !== undefined) {
      const { start, end } = parseContentRange(headers.contentRange);
      offset = start;
      if (end < offset) throw new ChunkOutOfOrder(await this.store.uploadSize(session.storeUploadId));
      if (length !== undefined && length !== end - offset + 1) {
        throw new SiloError('SIZE_INVALID', `Content-Length ${length} does not match Content-Range ${headers.contentRange}`);
      }
      length = end - offset + 1;
    } else {
      offset = await this.store.uploadSize(session.storeUploadId);
    }
    try {
      return await this.store.append(session.storeUploadId, offset, body, length);
    } catch (err) {
      if (err instanceof SiloError && err.code === 'RANGE_INVALID') {
        const size = (err.details as { size?: number } | undefined)?.size;
        throw new ChunkOutOfOrder(typeof size === 'number' ? size : await this.store.uploadSize(session.storeUploadId));
      }
      throw err;
    }
  }

  /** PUT `?digest=`: optional last chunk, then the store verifies and commits. */
  async complete(repository: string, id: string, digest: string, body?: Readable, length?: number): Promise<CommittedBlob> {
    const session = await this.session(repository, id);
    let blob: CommittedBlob;
    try {
      if (body && length !== 0) {
        const offset = await this.store.uploadSize(session.storeUploadId);
        blob = await this.store.commit(session.storeUploadId, digest, { stream: body, offset, length });
      } else {
        blob = await this.store.commit(session.storeUploadId, digest);
      }
    } catch (err) {
      // A digest mismatch ends the upload in the store; so it ends here.
      if (err instanceof SiloError && (err.code === 'DIGEST_INVALID' || err.code === 'BLOB_UPLOAD_UNKNOWN')) {
        await this.metadata.deleteUpload(id);
      }
      throw err;
    }
    try {
      // Over quota: the bytes stay unlinked (GC removes them) and the session ends.
      await this.quota.check(repository, blob.digest, blob.size);
    } catch (err) {
      await this.metadata.deleteUpload(id);
      throw err;
    }
    await this.metadata.recordBlob(repository, blob.digest, blob.size, this.clock.now().toISOString(), id);
    return blob;
  }

  async cancel(repository: string, id: string): Promise<void> {
    const session = await this.session(repository, id);
    await this.store.cancel(session.storeUploadId);
    await this.metadata.deleteUpload(id);
  }

  private async session(repository: string, id: string) {
    const session = await this.metadata.upload(id);
    if (!session || session.repository !== repository) throw new UploadUnknown(id);
    return session;
  }
}
