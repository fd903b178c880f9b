import { Controller, Get, Headers, Logger, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransferMetrics } from '../metrics/transfer.metrics';
import { SignatureGuard } from '../signing/signature.guard';
import { BufferPool } from '../storage/buffer-pool';
import { RangeNotSatisfiable } from '../storage/errors';
import { SEND_CHUNK_BYTES, sendBlobRange } from './blob-sender';
import { BlobResponsePlan, BlobsService } from './blobs.service';

/** `GET|HEAD /blobs/:digest` with Range support; signed with scope `read`. */
@Controller('blobs')
@UseGuards(SignatureGuard)
export class BlobsController {
  private readonly logger = new Logger(BlobsController.name);
  /** Two buffers per download in flight; a few kept for the next ones. */
  private readonly buffers = new BufferPool(SEND_CHUNK_BYTES, 16);

  constructor(
    private readonly blobs: BlobsService,
    private readonly metrics: TransferMetrics,
  ) {}

  /** Express routes HEAD here too; it gets the same status and headers and no body. */
  @Get(':digest')
  async get(@Param('digest') digest: string, @Headers('range') range: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    let plan: BlobResponsePlan;
    let reader;
    let body;
    try {
      plan = await this.blobs.plan(digest, range);
      if (req.method !== 'HEAD') {
        reader = await this.blobs.reader(plan);
        if (!reader) body = await this.blobs.open(plan);
      }
    } catch (err) {
      if (err instanceof RangeNotSatisfiable) res.setHeader('Content-Range', `bytes */${err.size}`);
      throw err;
    }
    res.status(plan.status).set(plan.headers);
    if (reader) {
      try {
        const start = plan.range?.start ?? 0;
        const end = plan.range?.end ?? plan.size - 1;
        await sendBlobRange(reader, start, end, res, this.buffers, (n) => this.metrics.bytesRead.inc(n));
        res.end();
      } catch (err) {
        this.failedAfterHeaders(digest, err);
        res.destroy();
      } finally {
        await reader.close().catch(() => undefined);
      }
      return;
    }
    if (!body) {
      res.end();
      return;
    }
    const count = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.metrics.bytesRead.inc(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, res);
    } catch (err) {
      this.failedAfterHeaders(digest, err);
    }
  }

  /** Headers are sent: the response is cut short, which the client sees by Content-Length. */
  private failedAfterHeaders(digest: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || message === 'the client went away') this.logger.debug(`client went away while reading ${digest}`);
    else this.logger.warn(`reading ${digest} failed after the headers were sent: ${message}`);
  }
}
