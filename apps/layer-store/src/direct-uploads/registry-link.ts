import { Injectable } from '@nestjs/common';
import { Subjects, UploadCommitReply } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';

/** How long the store waits for the registry to record a committed upload. */
const REPORT_TIMEOUT_MS = 10_000;

/**
 * The registry, as the store reports direct uploads to it (NATS commands in the registry's queue
 * group). A class with a small interface: the service's tests use a fake.
 */
@Injectable()
export class RegistryLink {
  constructor(private readonly nats: NatsClient) {}

  /** The registry checks the quota, links the blob and ends the session; its errors are rethrown. */
  async committed(repository: string, uploadId: string, digest: string, size: number): Promise<void> {
    await this.nats.request(Subjects.registryUploadCommit, { repository, uploadId, digest, size }, { reply: UploadCommitReply, timeoutMs: REPORT_TIMEOUT_MS });
  }

  /** The upload ended without a blob: the registry drops its session. */
  async ended(repository: string, uploadId: string): Promise<void> {
    await this.nats.command(Subjects.registryUploadEnd, { repository, uploadId }, { timeoutMs: REPORT_TIMEOUT_MS });
  }
}
