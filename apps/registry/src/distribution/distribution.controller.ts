import { All, Controller, Get, Logger, Req, Res } from '@nestjs/common';
import { DISTRIBUTION_API_VERSION, isDigest, SiloError } from '@silo/domain';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Action } from '../auth/access';
import { Caller, RegistryAuthService } from '../auth/auth.service';
import { BlobUploadService } from '../blobs/blob-upload.service';
import { BlobService } from '../blobs/blob.service';
import { RegistryConfig } from '../config/registry.config';
import { MAX_MANIFEST_BYTES, ManifestService } from '../manifests/manifest.service';
import { ReferrersService } from '../manifests/referrers.service';
import { RepositoryListingService } from '../repositories/repository-listing.service';
import { contentLength, hasBody, headerValue } from '@silo/service-kit';
import { publicStoreBase, rawV2Path, readLimited, requestBase, sendOciError } from './http-edge';
import { parseRoute, Route } from './route';

/**
 * The OCI Distribution API (v1.1) under /v2. One handler parses the route (names and digests by
 * their grammars), checks access, and hands the work to the feature services; errors leave in the
 * spec's JSON shape.
 */
@Controller()
export class DistributionController {
  private readonly logger = new Logger(DistributionController.name);

  constructor(
    private readonly auth: RegistryAuthService,
    private readonly blobs: BlobService,
    private readonly uploads: BlobUploadService,
    private readonly manifests: ManifestService,
    private readonly referrers: ReferrersService,
    private readonly listing: RepositoryListingService,
    private readonly config: RegistryConfig,
  ) {}

  @All(['v2', 'v2/*path'])
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.set(DISTRIBUTION_API_VERSION);
    try {
      const route = parseRoute(rawV2Path(req));
      if (!route) throw new SiloError('NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`);
      const caller = await this.auth.identify(headerValue(req, 'authorization'));
      await this.dispatch(route, caller, req, res);
    } catch (err) {
      // Unread request bodies are drained so keep-alive connections stay usable.
      if (!req.complete) req.resume();
      sendOciError(res, err, (e) => this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e)));
    }
  }

  @Get('auth/token')
  async token(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      const caller = await this.auth.identify(headerValue(req, 'authorization'));
      if (caller.rejected) {
        res.setHeader('WWW-Authenticate', 'Basic realm="silo-registry"');
        throw new SiloError('UNAUTHORIZED', caller.rejected);
      }
      const raw = req.query['scope'];
      const scopes = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((s) => String(s).split(' ')).filter(Boolean);
      res.setHeader('Cache-Control', 'no-store');
      res.json(await this.auth.issueToken(caller, scopes));
    } catch (err) {
      sendOciError(res, err, (e) => this.logger.error(String(e)));
    }
  }

  private async require(caller: Caller, req: Request, name: string, actions: Action[]): Promise<void> {
    await this.auth.require(caller, name, actions, requestBase(req));
  }

  private async dispatch(route: Route, caller: Caller, req: Request, res: Response): Promise<void> {
    const method = req.method.toUpperCase();
    switch (route.kind) {
      case 'base':
        this.auth.requireAuthenticated(caller, requestBase(req));
        res.status(200).json({});
        return;
      case 'catalog': {
        this.auth.requireAuthenticated(caller, requestBase(req), 'registry:catalog:*');
        if (!this.auth.canListCatalog(caller)) throw new SiloError('DENIED', 'listing the catalog needs admin rights');
        const page = await this.listing.catalog(pageSize(req), lastParam(req));
        if (page.next) res.setHeader('Link', `</v2/_catalog?n=${page.items.length}&last=${encodeURIComponent(page.next)}>; rel="next"`);
        res.status(200).json({ repositories: page.items });
        return;
      }
      case 'tags': {
        allow(method, ['GET']);
        await this.require(caller, req, route.name, ['pull']);
        const page = await this.listing.tags(route.name, pageSize(req), lastParam(req));
        if (page.next) res.setHeader('Link', `</v2/${route.name}/tags/list?n=${page.items.length}&last=${encodeURIComponent(page.next)}>; rel="next"`);
        res.status(200).json({ name: route.name, tags: page.items });
        return;
      }
      case 'manifest':
        return this.manifest(route, method, caller, req, res);
      case 'blob':
        return this.blob(route, method, caller, req, res);
      case 'upload-start':
        return this.startUpload(route, method, caller, req, res);
      case 'upload':
        return this.upload(route, method, caller, req, res);
      case 'referrers': {
        allow(method, ['GET']);
        await this.require(caller, req, route.name, ['pull']);
        const artifactType = typeof req.query['artifactType'] === 'string' ? req.query['artifactType'] : undefined;
        const index = await this.referrers.list(route.name, route.digest, artifactType);
        if (index.filtered) res.setHeader('OCI-Filters-Applied', 'artifactType');
        res.status(200).type('application/vnd.oci.image.index.v1+json').send(JSON.stringify(index.body));
        return;
      }
    }
  }

  private async manifest(route: Extract<Route, { kind: 'manifest' }>, method: string, caller: Caller, req: Request, res: Response): Promise<void> {
    allow(method, ['GET', 'HEAD', 'PUT', 'DELETE']);
    if (method === 'GET' || method === 'HEAD') {
      await this.require(caller, req, route.name, ['pull']);
      const manifest = await this.manifests.get(route.name, route.reference, route.isDigest);
      res.status(200).set({
        'Content-Type': manifest.mediaType,
        'Content-Length': String(manifest.size),
        'Docker-Content-Digest': manifest.digest,
        ETag: `"${manifest.digest}"`,
      });
      if (method === 'HEAD') res.end();
      else res.end(manifest.payload);
      return;
    }
    if (method === 'PUT') {
      await this.require(caller, req, route.name, ['pull', 'push']);
      const payload = await readLimited(req, MAX_MANIFEST_BYTES);
      const stored = await this.manifests.put(route.name, route.reference, route.isDigest, headerValue(req, 'content-type'), payload);
      res.status(201).set({ Location: `/v2/${route.name}/manifests/${stored.digest}`, 'Docker-Content-Digest': stored.digest, 'Content-Length': '0' });
      if (stored.subject) res.setHeader('OCI-Subject', stored.subject);
      res.end();
      return;
    }
    await this.require(caller, req, route.name, ['delete']);
    await this.manifests.delete(route.name, route.reference, route.isDigest);
    res.status(202).set('Content-Length', '0').end();
  }

  private async blob(route: Extract<Route, { kind: 'blob' }>, method: string, caller: Caller, req: Request, res: Response): Promise<void> {
    allow(method, ['GET', 'HEAD', 'DELETE']);
    if (method === 'DELETE') {
      await this.require(caller, req, route.name, ['delete']);
      await this.blobs.unlink(route.name, route.digest);
      res.status(202).set('Content-Length', '0').end();
      return;
    }
    await this.require(caller, req, route.name, ['pull']);
    if (method === 'HEAD') {
      const size = await this.blobs.size(route.name, route.digest);
      if ((await this.auth.permitted(caller, route.name)).has('push')) await this.blobs.touchForPush(route.digest);
      res.status(200).set({
        'Content-Length': String(size),
        'Content-Type': 'application/octet-stream',
        'Docker-Content-Digest': route.digest,
        'Accept-Ranges': 'bytes',
        ETag: `"${route.digest}"`,
      });
      res.end();
      return;
    }
    const storeBase = publicStoreBase(req, this.config.layerStorePublicUrl, this.config.layerStoreUrl);
    const delivery = await this.blobs.deliver(route.name, route.digest, storeBase, headerValue(req, 'range'));
    if (delivery.kind === 'redirect') {
      res.status(307).set({ Location: delivery.location, 'Docker-Content-Digest': route.digest, 'Content-Length': '0' }).end();
      return;
    }
    const upstream = delivery.upstream;
    for (const header of ['content-length', 'content-range', 'content-type', 'etag', 'accept-ranges', 'docker-content-digest']) {
      const value = upstream.headers[header];
      if (value !== undefined) res.setHeader(header, value);
    }
    res.status(upstream.statusCode ?? 502);
    await pipeline(upstream, res);
  }

  private async startUpload(route: Extract<Route, { kind: 'upload-start' }>, method: string, caller: Caller, req: Request, res: Response): Promise<void> {
    allow(method, ['POST']);
    await this.require(caller, req, route.name, ['pull', 'push']);
    const mount = typeof req.query['mount'] === 'string' ? req.query['mount'] : undefined;
    const from = typeof req.query['from'] === 'string' ? req.query['from'] : undefined;
    if (mount) {
      if (!isDigest(mount)) throw new SiloError('DIGEST_INVALID', `invalid mount digest "${mount}"`);
      if (from && (await this.auth.permitted(caller, from)).has('pull') && (await this.blobs.mount(route.name, mount, from))) {
        req.resume();
        res.status(201).set({ Location: `/v2/${route.name}/blobs/${mount}`, 'Docker-Content-Digest': mount, 'Content-Length': '0' }).end();
        return;
      }
    }
    const digest = typeof req.query['digest'] === 'string' ? req.query['digest'] : undefined;
    if (digest !== undefined) {
      if (!isDigest(digest)) throw new SiloError('DIGEST_INVALID', `invalid digest "${digest}"`);
      const blob = await this.uploads.monolithic(route.name, digest, req, contentLength(req));
      res.status(201).set({ Location: `/v2/${route.name}/blobs/${blob.digest}`, 'Docker-Content-Digest': blob.digest, 'Content-Length': '0' }).end();
      return;
    }
    req.resume();
    const id = await this.uploads.start(route.name);
    const location =
      this.config.uploadDelivery === 'direct'
        ? this.uploads.directLocation(route.name, id, publicStoreBase(req, this.config.layerStorePublicUrl, this.config.layerStoreUrl))
        : `/v2/${route.name}/blobs/uploads/${id}`;
    res.status(202).set({ Location: location, Range: '0-0', 'Docker-Upload-UUID': id, 'Content-Length': '0' }).end();
  }

  private async upload(route: Extract<Route, { kind: 'upload' }>, method: string, caller: Caller, req: Request, res: Response): Promise<void> {
    allow(method, ['GET', 'PATCH', 'PUT', 'DELETE']);
    await this.require(caller, req, route.name, ['pull', 'push']);
    const location = `/v2/${route.name}/blobs/uploads/${route.id}`;
    const progress = (size: number) => ({ Location: location, Range: `0-${Math.max(0, size - 1)}`, 'Docker-Upload-UUID': route.id, 'Content-Length': '0' });
    try {
      switch (method) {
        case 'GET': {
          const size = await this.uploads.size(route.name, route.id);
          res.status(204).set(progress(size)).end();
          return;
        }
        case 'PATCH': {
          const size = await this.uploads.append(route.name, route.id, req, { contentRange: headerValue(req, 'content-range'), contentLength: contentLength(req) });
          res.status(202).set(progress(size)).end();
          return;
        }
        case 'PUT': {
          const digest = typeof req.query['digest'] === 'string' ? req.query['digest'] : '';
          if (!isDigest(digest)) throw new SiloError('DIGEST_INVALID', `PUT needs ?digest= with a valid digest, got "${digest}"`);
          const blob = await this.uploads.complete(route.name, route.id, digest, hasBody(req) ? req : undefined, contentLength(req));
          res.status(201).set({ Location: `/v2/${route.name}/blobs/${blob.digest}`, 'Docker-Content-Digest': blob.digest, 'Content-Length': '0' }).end();
          return;
        }
        default:
          await this.uploads.cancel(route.name, route.id);
          res.status(204).set('Content-Length', '0').end();
          return;
      }
    } catch (err) {
      if (err instanceof SiloError && err.code === 'RANGE_INVALID') {
        const size = (err.details as { size?: number } | undefined)?.size;
        if (typeof size === 'number') res.set({ Location: location, Range: `0-${Math.max(0, size - 1)}`, 'Docker-Upload-UUID': route.id });
      }
      throw err;
    }
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new SiloError('UNSUPPORTED', `${method} is not supported here (use ${methods.join(', ')})`);
}

function pageSize(req: Request): number | undefined {
  const n = req.query['n'];
  if (n === undefined) return undefined;
  if (typeof n !== 'string' || !/^\d{1,6}$/.test(n)) throw new SiloError('VALIDATION_FAILED', `invalid n "${String(n)}"`);
  return Number(n);
}

function lastParam(req: Request): string | undefined {
  const last = req.query['last'];
  return typeof last === 'string' && last !== '' ? last : undefined;
}
