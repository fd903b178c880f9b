import { Injectable, Logger } from '@nestjs/common';
import { BlobDeleteReply, BlobListReply, RegistryGcReply, Subjects, UploadPurgeReply } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';
import { Clock } from '@silo/service-kit';
import { RegistryConfig } from '../config/registry.config';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { BlobStore } from '../storage/blob-store';

const MAX_REPORTED = 1000;
/** Upload sessions untouched this long are abandoned. */
const UPLOAD_MAX_AGE_SECONDS = 24 * 3600;

/**
 * Online garbage collection, safe while pushes run. The registry's database is the truth of which
 * blobs exist: a blob is forgotten there first, atomically and only if no manifest references it
 * and nothing touched it (upload, mount, HEAD by a pusher, manifest) within the grace period; only
 * then are its bytes deleted, and the store itself refuses if the blob was committed again since.
 */
@Injectable()
export class GarbageCollector {
  private readonly logger = new Logger(GarbageCollector.name);
  private running?: Promise<RegistryGcReply>;

  constructor(
    private readonly metadata: RegistryMetadata,
    private readonly store: BlobStore,
    private readonly nats: NatsClient,
    private readonly config: RegistryConfig,
    private readonly clock: Clock,
  ) {}

  /** One collection at a time: a second call while one runs gets the same result. */
  run(dryRun = false): Promise<RegistryGcReply> {
    this.running ??= this.collect(dryRun).finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(dryRun: boolean): Promise<RegistryGcReply> {
    const started = this.clock.now();
    const cutoff = new Date(started.getTime() - this.config.gcGraceSeconds * 1000).toISOString();
    const referenced = await this.metadata.referencedDigests();
    const report: RegistryGcReply = {
      dryRun,
      startedAt: started.toISOString(),
      durationMs: 0,
      blobsSwept: 0,
      bytesFreed: 0,
      orphansSwept: 0,
      uploadsPurged: 0,
      digests: [],
      keptInGrace: 0,
    };
    const swept = (digest: string, bytes: number) => {
      report.blobsSwept += 1;
      report.bytesFreed += bytes;
      if (report.digests.length < MAX_REPORTED) report.digests.push(digest);
    };

    // Sweep: blobs the registry knows, unreferenced and untouched since the cut-off.
    for (const blob of await this.metadata.staleBlobs(cutoff)) {
      if (referenced.has(blob.digest)) continue;
      if (dryRun) {
        swept(blob.digest, blob.size);
        continue;
      }
      if (!(await this.metadata.forgetBlobIfUnused(blob.digest, cutoff))) continue;
      const deleted = await this.deleteFromStore(blob.digest, cutoff);
      swept(blob.digest, deleted?.freedBytes ?? 0);
    }

    // Orphans: bytes in the store the registry never recorded (a push interrupted between the
    // store's commit and the registry's record), older than the cut-off.
    let after: string | undefined;
    for (;;) {
      const page = await this.nats.request(Subjects.blobList, { after, limit: 1000 }, { reply: BlobListReply, timeoutMs: 30_000 });
      const unknown = await this.metadata.missingBlobs(page.blobs.filter((b) => b.committedAt < cutoff).map((b) => b.digest));
      for (const digest of unknown) {
        if (dryRun) {
          report.orphansSwept += 1;
          continue;
        }
        const deleted = await this.deleteFromStore(digest, cutoff);
        if (deleted?.deleted) {
          report.orphansSwept += 1;
          report.bytesFreed += deleted.freedBytes;
        }
      }
      if (!page.next) break;
      after = page.next;
    }

    // Abandoned upload sessions.
    const uploadCutoff = new Date(started.getTime() - UPLOAD_MAX_AGE_SECONDS * 1000).toISOString();
    for (const session of await this.metadata.uploads()) {
      if (session.startedAt >= uploadCutoff) continue;
      report.uploadsPurged += 1;
      if (dryRun) continue;
      await this.store.cancel(session.storeUploadId).catch(() => undefined);
      await this.metadata.deleteUpload(session.id);
    }
    if (!dryRun) {
      const purged = await this.nats.request(Subjects.uploadPurge, { olderThanSeconds: UPLOAD_MAX_AGE_SECONDS }, { reply: UploadPurgeReply, timeoutMs: 30_000 });
      report.bytesFreed += purged.freedBytes;
    }

    report.keptInGrace = (await this.metadata.staleBlobs(new Date(started.getTime() + 1).toISOString())).filter(
      (b) => !referenced.has(b.digest) && b.touchedAt >= cutoff,
    ).length;
    report.durationMs = this.clock.now().getTime() - started.getTime();
    this.logger.log(
      `${dryRun ? 'dry run: would sweep' : 'swept'} ${report.blobsSwept} blob(s) and ${report.orphansSwept} orphan(s), ` +
        `${report.bytesFreed} bytes, ${report.uploadsPurged} abandoned upload(s) in ${report.durationMs} ms`,
    );
    return report;
  }

  private async deleteFromStore(digest: string, cutoff: string): Promise<BlobDeleteReply | undefined> {
    try {
      return await this.nats.request(Subjects.blobDelete, { digest, ifCommittedBefore: cutoff }, { reply: BlobDeleteReply, timeoutMs: 30_000 });
    } catch (err) {
      // The metadata is already gone; the bytes become an orphan that the next run removes.
      this.logger.warn(`could not delete ${digest} from the layer store: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
}
