import { createHash } from 'node:crypto';

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * An upload Location with `query` added. Locations may be relative to the registry or absolute
 * (a direct upload's is a signed URL on the layer store, with a query of its own).
 */
export function withQuery(location: string, query: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${query}`;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A small OCI Distribution client for tests: raw requests (to check exact statuses and headers)
 * plus the Docker token flow with Basic credentials.
 */
export class RegistryClient {
  constructor(
    readonly base: string,
    private readonly creds?: Credentials,
  ) {}

  basic(): string {
    if (!this.creds) throw new Error('no credentials');
    return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
  }

  async token(scopes: string[], authorization: string | undefined = this.creds ? this.basic() : undefined): Promise<string> {
    const query = scopes.map((s) => `scope=${encodeURIComponent(s)}`).join('&');
    const res = await fetch(`${this.base}/auth/token?service=silo-registry&${query}`, {
      headers: authorization ? { authorization } : {},
    });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  /** A Location (absolute, or relative to the registry) as a URL. */
  resolve(location: string): URL {
    return new URL(location, `${this.base}/`);
  }

  async request(
    method: string,
    path: string,
    options: { body?: Buffer | string; headers?: Record<string, string>; auth?: string | null; redirect?: 'manual' | 'follow' } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const auth = options.auth === undefined ? (this.creds ? this.basic() : undefined) : options.auth;
    if (auth) headers['authorization'] = auth;
    const res = await fetch(path.startsWith('http') ? path : `${this.base}${path}`, {
      method,
      headers,
      body: options.body,
      redirect: options.redirect ?? 'manual',
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
  }

  /** POST + PUT monolithic upload; returns the digest. */
  async pushBlob(name: string, data: Buffer | string): Promise<string> {
    const digest = sha256(data);
    const start = await this.request('POST', `/v2/${name}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body.toString()}`);
    const put = await this.request('PUT', withQuery(start.headers.get('location')!, `digest=${digest}`), {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 201) throw new Error(`upload put: ${put.status} ${put.body.toString()}`);
    return digest;
  }

  /** A small image (config + one layer) pushed under `tag`; returns its manifest and digests. */
  async pushImage(name: string, tag: string, extra: Record<string, unknown> = {}) {
    const layer = Buffer.from(`layer of ${name}:${tag} ${Math.random()}`);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    const layerDigest = await this.pushBlob(name, layer);
    const configDigest = await this.pushBlob(name, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
        ...extra,
      }),
    );
    const put = await this.request('PUT', `/v2/${name}/manifests/${tag}`, {
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    if (put.status !== 201) throw new Error(`manifest put: ${put.status} ${put.body.toString()}`);
    return { manifest, digest: sha256(manifest), layer, layerDigest, config, configDigest };
  }
}
