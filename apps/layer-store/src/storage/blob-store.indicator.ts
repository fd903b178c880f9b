import { Injectable } from '@nestjs/common';
import type { HealthIndicator } from '@silo/service-kit';
import { BlobBackend } from './blob-backend';
import { JetStreamBlobBackend } from './jetstream-blob-backend';

/** The `blob-store` check of a JetStream backend: its bucket answers (the filesystem one has DiskWritableIndicator). */
@Injectable()
export class BlobStoreIndicator implements HealthIndicator {
  readonly name = 'blob-store';

  constructor(private readonly backend: BlobBackend) {}

  async check(): Promise<string> {
    if (this.backend instanceof JetStreamBlobBackend) return this.backend.health();
    return `${this.backend.name} backend`;
  }
}
