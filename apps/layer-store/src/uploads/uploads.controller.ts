import { Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { hasBody } from '@silo/service-kit';
import type { Request, Response } from 'express';
import { SignatureGuard } from '../signing/signature.guard';
import { CommittedBlob } from '../storage/blob-backend';
import { UploadOffsetMismatch } from '../storage/errors';
import { parseUploadOffset } from './upload-offset';
import { UploadsService, UploadStatus } from './uploads.service';

/**
 * The upload half of the data plane; signed with scope `write`. Bodies are streamed to the
 * backend as they arrive (the service runs without body parsers).
 */
@Controller('uploads')
@UseGuards(SignatureGuard)
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  @HttpCode(201)
  async create(@Res({ passthrough: true }) res: Response): Promise<UploadStatus> {
    const status = await this.uploads.create();
    res.setHeader('Location', `/uploads/${status.id}`);
    res.setHeader('Upload-Offset', '0');
    return status;
  }

  @Get(':id')
  async status(@Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<UploadStatus> {
    const status = await this.uploads.status(id);
    res.setHeader('Upload-Offset', String(status.size));
    return status;
  }

  @Patch(':id')
  @HttpCode(202)
  async append(
    @Param('id') id: string,
    @Headers('upload-offset') offset: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<UploadStatus> {
    const status = await this.withOffsetHeader(res, () => this.uploads.append(id, parseUploadOffset(offset), req));
    res.setHeader('Upload-Offset', String(status.size));
    return status;
  }

  /** Commit; a final chunk may come along (then `Upload-Offset` is required). */
  @Put(':id')
  @HttpCode(201)
  async commit(
    @Param('id') id: string,
    @Query('digest') digest: unknown,
    @Headers('upload-offset') offset: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CommittedBlob> {
    const body = hasBody(req) || offset !== undefined ? { offset: parseUploadOffset(offset), source: req } : undefined;
    const blob = await this.withOffsetHeader(res, () => this.uploads.commit(id, digest, body));
    res.setHeader('Docker-Content-Digest', blob.digest);
    res.setHeader('Location', `/blobs/${blob.digest}`);
    return blob;
  }

  @Delete(':id')
  @HttpCode(204)
  async cancel(@Param('id') id: string): Promise<void> {
    await this.uploads.cancel(id);
  }

  /** A 416 for a wrong offset also says the real size in `Upload-Offset`. */
  private async withOffsetHeader<T>(res: Response, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      if (err instanceof UploadOffsetMismatch) res.setHeader('Upload-Offset', String(err.size));
      throw err;
    }
  }
}
