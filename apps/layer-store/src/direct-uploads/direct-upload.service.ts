import { Injectable } from '@nestjs/common';
import { parseContentRange, SiloError } from '@silo/domain';
import type { Readable } from 'node:stream';
import { BlobBackend, CommittedBlob } from '../storage/blob-backend';
import { UploadsService } from '../uploads/uploads.service';
import { RegistryLink } from './registry-link';

export interface ChunkHeaders {
  /** `Content-Range: start-end` of a chunked PATCH; absent: streamed (appended at the end). */
  contentRange?: string;
  contentLength?: number;
}

/**
 * The OCI upload endpoint of direct uploads: a client sends a blob's bytes straight to the store,
 * at the signed Location the registry gave it (the registry keeps the session, the quota and the
 * repository's links). The OCI rules of PATCH (streamed, or chunked with Content-Range) and PUT
 * map onto the store's resumable uploads; how an upload ends is reported to the registry before
 * the client hears of it, so a 201 means the blob is in the repository.
 */
@Injectable()
export class DirectUploadService {
  constructor(
    private readonly uploads: UploadsService,
    private readonly backend: BlobBackend,
    private readonly registry: RegistryLink,
  ) {}

  size(id: string): Promise<number> {
    return this.backend.uploadSize(id);
  }

  /** PATCH: the new size. A chunk that does not start at the end is RANGE_INVALID (416) with `details.size`. */
  async append(id: string, body: Readable, headers: ChunkHeaders): Promise<number> {
    let offset: number;
    if (headers.contentRange !== undefined) {
      const { start, end } = parseContentRange(headers.contentRange);
      if (end < start) throw new SiloError('RANGE_INVALID', `Content-Range ${headers.contentRange} ends before it starts`, { size: await this.backend.uploadSize(id) }, 416);
      if (headers.contentLength !== undefined && headers.contentLength !== end - start + 1) {
        throw new SiloError('SIZE_INVALID', `Content-Length ${headers.contentLength} does not match Content-Range ${headers.contentRange}`);
      }
      offset = start;
    } else {
      offset = await this.backend.uploadSize(id);
    }
    return (await this.uploads.append(id, offset, body)).size;
  }

  /**
   * PUT `?digest=`: the optional last chunk is appended, the store verifies and commits, then the
   * registry links the blob (or refuses: over quota, session gone). An upload that ends without a
   * blob (digest mismatch) ends the registry's session too.
   */
  async complete(repository: string, id: string, digest: unknown, body?: Readable): Promise<CommittedBlob> {
    let blob: CommittedBlob;
    try {
      const source = body ? { offset: await this.backend.uploadSize(id), source: body } : undefined;
      blob = await this.uploads.commit(id, digest, source);
    } catch (err) {
      if (err instanceof SiloError && err.code === 'DIGEST_INVALID' && !(await this.exists(id))) await this.tellEnded(repository, id);
      throw err;
    }
    await this.registry.committed(repository, id, blob.digest, blob.size);
    return blob;
  }

  /** DELETE: the upload and the registry's session go. */
  async cancel(repository: string, id: string): Promise<void> {
    await this.uploads.cancel(id);
    await this.tellEnded(repository, id);
  }

  private async exists(id: string): Promise<boolean> {
    return this.backend.uploadSize(id).then(
      () => true,
      () => false,
    );
  }

  /** Best effort: a session the registry no longer has is fine; its upload purge ends the rest. */
  private async tellEnded(repository: string, id: string): Promise<void> {
    await this.registry.ended(repository, id).catch(() => undefined);
  }
}
