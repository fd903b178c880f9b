import { All, Controller, Logger, Req, Res } from '@nestjs/common';
import { DISTRIBUTION_API_VERSION, ociError, SiloError, signedQuery } from '@silo/domain';
import { Clock, contentLength, hasBody, headerValue, sameHostBase } from '@silo/service-kit';
import type { Request, Response } from 'express';
import { LayerStoreConfig } from '../config/layer-store.config';
import { UploadOffsetMismatch } from '../storage/errors';
import { SignatureGuard } from '../signing/signature.guard';
import { SigningKey } from '../signing/signing-key';
import { UploadInterrupted } from '../uploads/errors';
import { parseDirectUploadPath } from './direct-upload-route';
import { DirectUploadService } from './direct-upload.service';

/**
 * `GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>?expires=…&sig=…`: the Location the
 * registry hands out for a direct upload (SILO_REGISTRY_UPLOAD_DELIVERY=direct), answered the
 * way the OCI Distribution spec answers it, errors in its JSON shape. Every reply that says where
 * to continue carries a freshly signed absolute Location (on the host the client used); the final
 * 201 points at the registry.
 */
@Controller()
export class DirectUploadController {
  private readonly logger = new Logger(DirectUploadController.name);

  constructor(
    private readonly uploads: DirectUploadService,
    private readonly signatures: SignatureGuard,
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly config: LayerStoreConfig,
  ) {}

  @All(['v2', 'v2/*path'])
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.set(DISTRIBUTION_API_VERSION);
    const path = (req.originalUrl ?? req.url).split('?', 1)[0] ?? '';
    let progress: ((size: number) => Record<string, string>) | undefined;
    try {
      const { repository, id } = parseDirectUploadPath(path);
      this.signatures.check(req.method, req.originalUrl);
      progress = (size) => ({
        Location: `${req.protocol}://${req.headers.host ?? `127.0.0.1:${this.config.port}`}${path}?${signedQuery(this.key.secret, 'write', path, this.clock.now().getTime() / 1000, this.config.uploadUrlTtlSeconds)}`,
        Range: `0-${Math.max(0, size - 1)}`,
        'Docker-Upload-UUID': id,
        'Content-Length': '0',
      });
      switch (req.method) {
        case 'GET':
        case 'HEAD':
          res.status(204).set(progress(await this.uploads.size(id))).end();
          return;
        case 'PATCH': {
          const size = await this.uploads.append(id, req, { contentRange: headerValue(req, 'content-range'), contentLength: contentLength(req) });
          res.status(202).set(progress(size)).end();
          return;
        }
        case 'PUT': {
          const blob = await this.uploads.complete(repository, id, req.query['digest'], hasBody(req) ? req : undefined);
          res
            .status(201)
            .set({ Location: `${this.registryBase(req)}/v2/${repository}/blobs/${blob.digest}`, 'Docker-Content-Digest': blob.digest, 'Content-Length': '0' })
            .end();
          return;
        }
        case 'DELETE':
          await this.uploads.cancel(repository, id);
          res.status(204).set('Content-Length', '0').end();
          return;
        default:
          throw new SiloError('UNSUPPORTED', `${req.method} is not supported here (use GET, PATCH, PUT, DELETE)`);
      }
    } catch (err) {
      // A 416, or a body that broke off: the client is told where the upload stands.
      const size = err instanceof UploadOffsetMismatch || err instanceof UploadInterrupted || (err instanceof SiloError && err.code === 'RANGE_INVALID') ? sizeOf(err) : undefined;
      if (progress && size !== undefined && !res.headersSent) res.set(progress(size));
      // Unread request bodies are drained so keep-alive connections stay usable.
      if (!req.complete) req.resume();
      const { status, body, unexpected } = ociError(err);
      if (unexpected) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.status(status).json(body);
    }
  }

  /** The registry as this client reaches it: configured, or this request's host with the registry's port. */
  private registryBase(req: Request): string {
    if (this.config.registryPublicUrl) return this.config.registryPublicUrl.replace(/\/+$/, '');
    return sameHostBase(req, this.config.registryPort);
  }
}

function sizeOf(err: SiloError): number | undefined {
  const size = (err.details as { size?: unknown } | undefined)?.size;
  return typeof size === 'number' ? size : undefined;
}
