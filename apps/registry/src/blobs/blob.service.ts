import { Injectable } from '@nestjs/common';
import { SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import type { IncomingMessage } from 'node:http';
import { RegistryConfig } from '../config/registry.config';
import { QuotaService } from '../accounts/quota.service';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { BlobStore } from '../storage/blob-store';

export class BlobUnknown extends SiloError {
  constructor(repository: string, digest: string) {
    super('BLOB_UNKNOWN', `blob ${digest} is not in ${repository}`, { digest });
  }
}

export type BlobDelivery = { kind: 'redirect'; location: string; size: number } | { kind: 'proxy'; upstream: IncomingMessage; size: number };

/** Reading, mounting and unlinking blobs in a repository. Bytes live in the layer store. */
@Injectable()
export class BlobService {
  constructor(
    private readonly metadata: RegistryMetadata,
    private readonly store: BlobStore,
    private readonly config: RegistryConfig,
    private readonly clock: Clock,
    private readonly quota: QuotaService,
  ) {}

  /** Size of a blob linked in the repository (answered from metadata alone). */
  async size(repository: string, digest: string): Promise<number> {
    if (!(await this.metadata.isLinked(repository, digest))) throw new BlobUnknown(repository, digest);
    const blob = await this.metadata.blob(digest);
    if (!blob) throw new BlobUnknown(repository, digest);
    return blob.size;
  }

  /**
   * A pusher checking whether the registry has a blob is about to reference it: the blob is kept
   * out of GC for the grace period (written at most once per half period).
   */
  async touchForPush(digest: string): Promise<void> {
    const now = this.clock.now();
    const olderThan = new Date(now.getTime() - (this.config.gcGraceSeconds * 1000) / 2).toISOString();
    await this.metadata.touch(digest, olderThan, now.toISOString());
  }

  /** A 307 to a signed layer-store URL, or the store's response to stream through. */
  async deliver(repository: string, digest: string, publicStoreBase: string, range?: string, method: 'GET' | 'HEAD' = 'GET'): Promise<BlobDelivery> {
    const size = await this.size(repository, digest);
    if (this.config.blobDelivery === 'redirect') return { kind: 'redirect', location: this.store.readUrl(digest, publicStoreBase), size };
    return { kind: 'proxy', upstream: await this.store.openRead(digest, range, method), size };
  }

  /** Cross-repository mount: links the blob if `from` has it; false when it cannot. */
  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    if (!(await this.metadata.isLinked(from, digest))) return false;
    const blob = await this.metadata.blob(digest);
    if (!blob) return false;
    await this.quota.check(repository, digest, blob.size);
    return this.metadata.link(repository, digest, this.clock.now().toISOString());
  }

  /** Removes the blob from the repository; the bytes go when GC finds nothing references them. */
  async unlink(repository: string, digest: string): Promise<void> {
    if (!(await this.metadata.unlink(repository, digest))) throw new BlobUnknown(repository, digest);
  }
}
