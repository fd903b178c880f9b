import { SiloError, signedQuery, SignatureScope, ErrorCode } from '@silo/domain';
import { Agent, IncomingMessage, request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore, CommittedBlob } from './blob-store';

/** How long the signatures the registry makes stay valid. */
export interface HttpBlobStoreOptions {
  /** Internal base URL of the layer store's data plane. */
  baseUrl: string;
  secret: Buffer;
  signedUrlTtlSeconds: number;
  /** Signed upload Locations (direct uploads) stay valid this long. */
  uploadUrlTtlSeconds: number;
  now?: () => number;
}

interface StoreResponse {
  status: number;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

/**
 * Talks to the layer store's HTTP data plane (see apps/layer-store/README.md): every request is
 * signed; bodies are streamed both ways, never buffered; keep-alive connections are reused.
 */
export class HttpBlobStore extends BlobStore {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly base: URL;

  constructor(private readonly options: HttpBlobStoreOptions) {
    super();
    this.base = new URL(options.baseUrl);
  }

  async createUpload(): Promise<string> {
    const res = await this.call('POST', '/uploads', 'write');
    this.expect(res, [201]);
    return String(res.body['id']);
  }

  async append(uploadId: string, offset: number, body: Readable, length?: number): Promise<number> {
    const res = await this.call('PATCH', `/uploads/${uploadId}`, 'write', { 'upload-offset': String(offset) }, body, length);
    this.expect(res, [202]);
    return Number(res.body['size']);
  }

  async uploadSize(uploadId: string): Promise<number> {
    const res = await this.call('GET', `/uploads/${uploadId}`, 'write');
    this.expect(res, [200]);
    return Number(res.body['size']);
  }

  async commit(uploadId: string, digest: string, body?: { stream: Readable; offset: number; length?: number }): Promise<CommittedBlob> {
    const path = `/uploads/${uploadId}`;
    const headers: Record<string, string> = body ? { 'upload-offset': String(body.offset) } : {};
    const res = await this.call('PUT', path, 'write', headers, body?.stream, body?.length, `digest=${encodeURIComponent(digest)}`);
    this.expect(res, [201]);
    return { digest: String(res.body['digest']), size: Number(res.body['size']) };
  }

  async cancel(uploadId: string): Promise<void> {
    const res = await this.call('DELETE', `/uploads/${uploadId}`, 'write');
    if (res.status !== 404) this.expect(res, [204]);
  }

  async stat(digest: string): Promise<number | undefined> {
    const res = await this.call('HEAD', `/blobs/${digest}`, 'read');
    if (res.status === 404) return undefined;
    this.expect(res, [200]);
    return Number(res.headers['content-length']);
  }

  readUrl(digest: string, base: string): string {
    const path = `/blobs/${digest}`;
    return `${base.replace(/\/+$/, '')}${path}?${this.sign('read', path)}`;
  }

  uploadUrl(repository: string, uploadId: string, base: string): string {
    const path = `/v2/${repository}/blobs/uploads/${uploadId}`;
    return `${base.replace(/\/+$/, '')}${path}?${this.sign('write', path, this.options.uploadUrlTtlSeconds)}`;
  }

  openRead(digest: string, range?: string, method: 'GET' | 'HEAD' = 'GET'): Promise<IncomingMessage> {
    const path = `/blobs/${digest}`;
    return new Promise((resolve, reject) => {
      const req = request(this.url(path, 'read'), { method, agent: this.agent, headers: range ? { range } : {} }, resolve);
      req.once('error', (err) => reject(unavailable(err)));
      req.end();
    });
  }

  private sign(scope: SignatureScope, path: string, ttlSeconds = this.options.signedUrlTtlSeconds): string {
    const now = this.options.now?.() ?? Date.now() / 1000;
    return signedQuery(this.options.secret, scope, path, now, ttlSeconds);
  }

  private url(path: string, scope: SignatureScope, extraQuery?: string): URL {
    const url = new URL(path, this.base);
    url.search = extraQuery ? `${this.sign(scope, path)}&${extraQuery}` : this.sign(scope, path);
    return url;
  }

  private call(
    method: string,
    path: string,
    scope: SignatureScope,
    headers: Record<string, string> = {},
    body?: Readable,
    length?: number,
    extraQuery?: string,
  ): Promise<StoreResponse> {
    return new Promise((resolve, reject) => {
      const outgoing: Record<string, string> = { ...headers };
      if (body && length !== undefined) outgoing['content-length'] = String(length);
      if (!body) outgoing['content-length'] = '0';
      const req = request(this.url(path, scope, extraQuery), { method, agent: this.agent, headers: outgoing }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          if (text) {
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { message: text };
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      });
      req.once('error', (err) => reject(unavailable(err)));
      if (body) {
        // A client that disconnects mid-body aborts the upstream request too.
        pipeline(body, req).catch((err: Error) => req.destroy(err));
      } else {
        req.end();
      }
    });
  }

  private expect(res: StoreResponse, ok: number[]): void {
    if (ok.includes(res.status)) return;
    const code = typeof res.body['code'] === 'string' ? (res.body['code'] as ErrorCode) : 'INTERNAL';
    const message = typeof res.body['message'] === 'string' ? res.body['message'] : `layer store answered ${res.status}`;
    throw new SiloError(code, message, res.body['details'] as Record<string, unknown> | undefined, res.status >= 500 ? 503 : undefined);
  }
}

function unavailable(err: Error): SiloError {
  return new SiloError('UNAVAILABLE', `layer store unreachable: ${err.message}`);
}
