import { Injectable } from '@nestjs/common';
import {
  BlobDeleteReply,
  BlobDeleteRequest,
  BlobListReply,
  BlobListRequest,
  BlobStatReply,
  BlobStatRequest,
  StoreUsageReply,
  UploadPurgeReply,
  UploadPurgeRequest,
} from '@silo/contracts';
import { Clock } from '@silo/service-kit';
import { BlobBackend } from '../storage/blob-backend';

export const DEFAULT_LIST_LIMIT = 1000;

/** The store's control plane (used by the registry and its garbage collector). */
@Injectable()
export class ControlService {
  constructor(
    private readonly backend: BlobBackend,
    private readonly clock: Clock,
  ) {}

  async stat({ digest }: BlobStatRequest): Promise<BlobStatReply> {
    const info = await this.backend.stat(digest);
    return info ? { digest, exists: true, size: info.size, committedAt: info.committedAt.toISOString() } : { digest, exists: false };
  }

  async delete({ digest, ifCommittedBefore }: BlobDeleteRequest): Promise<BlobDeleteReply> {
    const result = await this.backend.delete(digest, ifCommittedBefore === undefined ? undefined : new Date(ifCommittedBefore));
    return { digest, ...result };
  }

  async list({ after, limit }: BlobListRequest): Promise<BlobListReply> {
    const page = await this.backend.list(after, limit ?? DEFAULT_LIST_LIMIT);
    const blobs = page.blobs.map((b) => ({ digest: b.digest, size: b.size, committedAt: b.committedAt.toISOString() }));
    return page.next === undefined ? { blobs } : { blobs, next: page.next };
  }

  async usage(): Promise<StoreUsageReply> {
    return { backend: this.backend.name, ...(await this.backend.usage()) };
  }

  purgeUploads({ olderThanSeconds }: UploadPurgeRequest): Promise<UploadPurgeReply> {
    return this.backend.purgeUploads(new Date(this.clock.now().getTime() - olderThanSeconds * 1000));
  }
}
