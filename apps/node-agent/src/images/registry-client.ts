import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ImageDigestMismatch, ImageNotFound, RegistryRequestFailed, RegistryUnauthorized, RegistryUnreachable, UnsupportedImage } from './errors/image-errors';
import { HttpTransport } from './http-transport';
import { isIndexMediaType, isManifestMediaType, MANIFEST_ACCEPT } from './oci-types';
import { describe, RegistryAuthenticator, RegistryCredentials } from './registry-auth';
import { RegistryEndpoint } from './pull-plan';

/** A repository on a registry, and who asks. */
export interface RepositoryTarget {
  registry: RegistryEndpoint;
  repository: string;
  credentials?: RegistryCredentials;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the bytes as served (verified against the digest asked for). */
  digest: string;
}

export interface BlobStream {
  body: Readable;
  /** Content-Length, when the server sent one. */
  length?: number;
}

/** The Distribution spec's manifest size limit, which Silo's registry enforces on push too. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Reads manifests and blobs from an OCI Distribution registry, authenticating as the registry
 * asks (token flow or Basic) and turning its answers into the puller's errors.
 */
export class RegistryClient {
  constructor(
    private readonly http: HttpTransport,
    private readonly auth: RegistryAuthenticator,
  ) {}

  /** `GET /v2/NAME/manifests/REF` (tag or digest): bytes verified against the digest when REF is one. */
  async getManifest(target: RepositoryTarget, reference: string): Promise<FetchedManifest> {
    const res = await this.request(target, `manifests/${reference}`, { Accept: MANIFEST_ACCEPT }, `manifest ${reference}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      throw new UnsupportedImage(`manifest ${reference} is ${declared} bytes, more than ${MAX_MANIFEST_BYTES}`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST_BYTES) throw new UnsupportedImage(`manifest ${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const digest = sha256(bytes);
    const where = `${target.registry.host}/${target.repository}`;
    if (reference.includes(':') && reference !== digest) throw new ImageDigestMismatch(`manifest ${where}@${reference}`, reference, digest);
    const served = res.headers.get('docker-content-digest');
    if (served?.startsWith('sha256:') && served !== digest) throw new ImageDigestMismatch(`manifest ${where}:${reference}`, served, digest);
    let parsed: { mediaType?: string; manifests?: unknown; config?: unknown };
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
    } catch {
      throw new UnsupportedImage(`manifest ${where}:${reference} is not JSON`);
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const mediaType = parsed.mediaType ?? (Array.isArray(parsed.manifests) ? guessList(contentType) : contentType);
    if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
      throw new UnsupportedImage(`manifest ${where}:${reference} has media type "${mediaType}", which is neither an OCI/Docker schema 2 image nor an index`);
    }
    return { bytes, mediaType, digest };
  }

  /** `GET /v2/NAME/blobs/DIGEST` as a stream (redirects to the layer store followed). Not verified: the caller hashes. */
  async openBlob(target: RepositoryTarget, digest: string, signal?: AbortSignal): Promise<BlobStream> {
    const res = await this.request(target, `blobs/${digest}`, {}, `blob ${digest}`, signal);
    if (!res.body) throw new RegistryRequestFailed(`blob ${digest} came without a body`, res.status);
    const length = res.headers.get('content-length');
    return { body: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), ...(length ? { length: Number(length) } : {}) };
  }

  /** A small blob (an image config) in memory, verified. */
  async getBlobBytes(target: RepositoryTarget, digest: string, maxBytes: number): Promise<Buffer> {
    const { body } = await this.openBlob(target, digest);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) throw new UnsupportedImage(`blob ${digest} is larger than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      body.destroy();
      if (err instanceof UnsupportedImage) throw err;
      throw new RegistryUnreachable(`reading blob ${digest} from ${target.registry.host} failed: ${describe(err)}`);
    }
    const bytes = Buffer.concat(chunks);
    const actual = sha256(bytes);
    if (actual !== digest) throw new ImageDigestMismatch(`blob ${digest}`, digest, actual);
    return bytes;
  }

  private async request(target: RepositoryTarget, path: string, headers: Record<string, string>, what: string, signal?: AbortSignal): Promise<Response> {
    const { registry, repository, credentials } = target;
    const url = `${registry.baseUrl}/v2/${repository}/${path}`;
    const scope = `repository:${repository}:pull`;
    let authorization = await this.auth.authorizationFor(registry.host, scope, credentials);
    let res: Response | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.http.fetch(url, { headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) }, signal });
      } catch (err) {
        throw new RegistryUnreachable(`registry ${registry.host} unreachable: ${describe(err)}`, { registry: registry.host });
      }
      if (res.status !== 401) break;
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (attempt >= 2) {
        throw new RegistryUnauthorized(`not authorized to pull ${registry.host}/${repository}${credentials ? ` as ${credentials.username}` : ' without credentials'}`, {
          repository,
        });
      }
      authorization = await this.auth.answer(registry.host, challenge, scope, credentials, authorization);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    const error = registryError(text);
    const name = `${registry.host}/${repository}`;
    if (res.status === 403) throw new RegistryUnauthorized(`access to ${name} denied${error ? `: ${error.message}` : ''}`, { repository, code: error?.code });
    if (res.status === 404) {
      const code = error?.code ?? (path.startsWith('blobs/') ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN');
      const message =
        code === 'NAME_UNKNOWN' ? `repository ${name} not found` : code === 'BLOB_UNKNOWN' ? `${what} not found in ${name}` : `${what} not found in ${name}`;
      throw new ImageNotFound(message, code, { repository, code });
    }
    throw new RegistryRequestFailed(`${what} from ${name}: HTTP ${res.status}${error ? ` ${error.code}: ${error.message}` : ''}`, res.status, { repository });
  }
}

function guessList(contentType: string): string {
  return isIndexMediaType(contentType) ? contentType : 'application/vnd.oci.image.index.v1+json';
}

function registryError(text: string): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = body.errors?.[0];
    return first?.code ? { code: first.code, message: first.message ?? '' } : undefined;
  } catch {
    return undefined;
  }
}
