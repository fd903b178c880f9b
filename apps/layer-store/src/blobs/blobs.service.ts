import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { BlobBackend, BlobReader, ByteRange } from '../storage/blob-backend';
import { BlobUnknown, RangeNotSatisfiable } from '../storage/errors';
import { resolveRange } from './byte-range';

/** What a GET or HEAD of a blob answers: status and headers, and which bytes to send. */
export interface BlobResponsePlan {
  digest: string;
  size: number;
  range?: ByteRange;
  status: 200 | 206;
  headers: Record<string, string>;
}

@Injectable()
export class BlobsService {
  constructor(private readonly backend: BlobBackend) {}

  /** Throws BlobUnknown, InvalidDigest, or RangeNotSatisfiable (whose `size` goes in Content-Range). */
  async plan(digest: string, rangeHeader: string | undefined): Promise<BlobResponsePlan> {
    const info = await this.backend.stat(digest);
    if (!info) throw new BlobUnknown(digest);
    const resolution = resolveRange(rangeHeader, info.size);
    if (resolution.kind === 'unsatisfiable') throw new RangeNotSatisfiable(info.size, rangeHeader ?? '');
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'max-age=31536000, immutable',
    };
    if (resolution.kind === 'full') {
      return { digest, size: info.size, status: 200, headers: { ...headers, 'Content-Length': String(info.size) } };
    }
    const { start, end } = resolution.range;
    return {
      digest,
      size: info.size,
      range: resolution.range,
      status: 206,
      headers: { ...headers, 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${info.size}` },
    };
  }

  /** A positional reader, when the backend has one (the pooled send path). */
  reader(plan: BlobResponsePlan): Promise<BlobReader | undefined> {
    return this.backend.openReader(plan.digest);
  }

  open(plan: BlobResponsePlan): Promise<Readable> {
    return this.backend.openRead(plan.digest, plan.range);
  }
}
