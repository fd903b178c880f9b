import { Controller, Get, Headers, Logger, Param, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransferMetrics } from '../metrics/transfer.metrics';
import { SignatureGuard } from '../signing/signature.guard';
import { RangeNotSatisfiable } from '../storage/errors';
import { BlobResponsePlan, BlobsService } from './blobs.service';

/** `GET|HEAD /blobs/:digest` with Range support; signed with scope `read`. */
@Controller('blobs')
@UseGuards(SignatureGuard)
export class BlobsController {
  private readonly logger = new Logger(BlobsController.name);

  constructor(
    private readonly blobs: BlobsService,
    private readonly metrics: TransferMetrics,
  ) {}

  /** Express routes HEAD here too; it gets the same status and headers and no body. */
  @Get(':digest')
  async get(@Param('digest') digest: string, @Headers('range') range: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    let plan: BlobResponsePlan;
    let body;
    try {
      plan = await this.blobs.plan(digest, range);
      if (req.method !== 'HEAD') body = await this.blobs.open(plan);
    } catch (err) {
      if (err instanceof RangeNotSatisfiable) res.setHeader('Content-Range', `bytes */${err.size}`);
      throw err;
    }
    res.status(plan.status).set(plan.headers);
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
      // Headers are sent: the response is cut short, which the client sees by Content-Length.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE') this.logger.debug(`client went away while reading ${digest}`);
      else this.logger.warn(`reading ${digest} failed after the headers were sent: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
