import { Injectable } from '@nestjs/common';
import { DigestError, parseDigest, SiloError } from '@silo/domain';
import type { Readable } from 'node:stream';
import { TransferMetrics } from '../metrics/transfer.metrics';
import { BlobBackend, CommittedBlob } from '../storage/blob-backend';
import { InvalidDigest } from '../storage/errors';
import { UploadInterrupted } from './errors';

export interface UploadStatus {
  id: string;
  size: number;
}

/** Resumable uploads over the data plane: start, append at an offset, commit under a digest. */
@Injectable()
export class UploadsService {
  constructor(
    private readonly backend: BlobBackend,
    private readonly metrics: TransferMetrics,
  ) {}

  async create(): Promise<UploadStatus> {
    return { id: await this.backend.createUpload(), size: 0 };
  }

  async status(id: string): Promise<UploadStatus> {
    return { id, size: await this.backend.uploadSize(id) };
  }

  /** Streams `body` onto the upload at `offset`. */
  async append(id: string, offset: number, body: Readable): Promise<UploadStatus> {
    let bodyError: unknown;
    // Stays attached: an aborted request may still emit 'error' after the backend stopped reading.
    body.on('error', (err: unknown) => (bodyError ??= err));
    try {
      const size = await this.backend.appendUpload(id, offset, body);
      this.metrics.bytesWritten.inc(size - offset);
      return { id, size };
    } catch (err) {
      if (err instanceof SiloError) throw err;
      // Bytes received before a failure are kept: count them, and say where to resume.
      const size = await this.backend.uploadSize(id).catch(() => offset);
      if (size > offset) this.metrics.bytesWritten.inc(size - offset);
      if (err === bodyError || body.readableAborted) throw new UploadInterrupted(size, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /** Appends the final `body` (if any), then verifies and commits the upload as `digest`. */
  async commit(id: string, digest: unknown, body?: { offset: number; source: Readable }): Promise<CommittedBlob> {
    if (typeof digest !== 'string') throw new InvalidDigest('the digest query parameter is required (sha256:<hex> or sha512:<hex>)');
    try {
      parseDigest(digest); // before any byte of the body is taken
    } catch (err) {
      if (err instanceof DigestError) throw new InvalidDigest(err.message);
      throw err;
    }
    if (body) await this.append(id, body.offset, body.source);
    return this.backend.commitUpload(id, digest);
  }

  cancel(id: string): Promise<void> {
    return this.backend.cancelUpload(id);
  }
}
