import { Readable, Transform } from 'node:stream';
import type { BlobSource, ImageToPush } from './image-source';

export type RegistryCredentials = { username: string; password: string } | { bearer: string } | undefined;

/** What the pusher tells the user: one bar (or line) per blob. */
export interface PushReporter {
  blob(blob: BlobSource): { progress(bytes: number): void; done(result: 'pushed' | 'exists'): void };
  log(line: string): void;
  stop(): void;
}

export interface PushResult {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  pushed: number;
  skipped: number;
}

/** `host:5000` → `http://host:5000`; URLs stay as they are. */
export function registryBaseUrl(registry: string): string {
  return (/^https?:\/\//.test(registry) ? registry : `http://${registry}`).replace(/\/+$/, '');
}

/**
 * Pushes an image over the OCI distribution API: HEAD each blob and skip the ones the registry
 * has, upload the others monolithically (POST an upload, PUT the bytes with the digest), streamed
 * from disk with progress, then PUT the manifests (children by digest, the last by tag). Auth:
 * Basic, or the Docker token flow when the registry challenges with Bearer.
 */
export class RegistryPusher {
  private authorization: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: RegistryCredentials,
    private readonly reporter: PushReporter,
    private readonly concurrency = 3,
  ) {
    if (credentials && 'username' in credentials) this.authorization = basic(credentials.username, credentials.password);
  }

  async push(image: ImageToPush, repository: string, tag: string): Promise<PushResult> {
    let pushed = 0;
    let skipped = 0;
    const queue = [...image.blobs];
    const worker = async () => {
      for (let blob = queue.shift(); blob; blob = queue.shift()) {
        if (await this.pushBlob(repository, blob)) pushed++;
        else skipped++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    } finally {
      this.reporter.stop();
    }
    const last = image.manifests[image.manifests.length - 1]!;
    for (const manifest of image.manifests) {
      const reference = manifest === last ? tag : manifest.digest;
      const res = await this.request(repository, 'PUT', `/v2/${repository}/manifests/${reference}`, { body: manifest.bytes, headers: { 'content-type': manifest.mediaType } });
      await expectStatus(res, [201, 200], `PUT manifest ${reference}`);
      const answered = res.headers.get('docker-content-digest');
      if (answered && answered !== manifest.digest) throw new Error(`the registry stored manifest ${reference} as ${answered}, expected ${manifest.digest}`);
    }
    return { repository, tag, digest: last.digest, mediaType: last.mediaType, pushed, skipped };
  }

  /** True when uploaded, false when the registry had it. */
  private async pushBlob(repository: string, blob: BlobSource): Promise<boolean> {
    const bar = this.reporter.blob(blob);
    const head = await this.request(repository, 'HEAD', `/v2/${repository}/blobs/${blob.digest}`);
    if (head.status === 200) {
      bar.done('exists');
      return false;
    }
    if (head.status !== 404) await expectStatus(head, [404], `HEAD blob ${blob.digest}`);
    const start = await this.request(repository, 'POST', `/v2/${repository}/blobs/uploads/`);
    await expectStatus(start, [202], 'POST upload');
    const location = start.headers.get('location');
    if (!location) throw new Error('the registry started an upload without a Location');
    const url = new URL(location, `${this.baseUrl}/`);
    url.searchParams.set('digest', blob.digest);
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        sent += chunk.length;
        bar.progress(sent);
        done(null, chunk);
      },
    });
    const body = Readable.toWeb(blob.open().pipe(counter)) as unknown as ReadableStream<Uint8Array>;
    const put = await this.request(repository, 'PUT', url.toString(), {
      body,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    });
    await expectStatus(put, [201], `PUT blob ${blob.digest}`);
    bar.done('pushed');
    return true;
  }

  /** One request with the current credentials; a Bearer challenge is answered once (token flow) and retried when the body allows it. */
  private async request(repository: string, method: string, pathOrUrl: string, init: { body?: Buffer | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
    const send = () =>
      fetch(url, {
        method,
        headers: { ...init.headers, ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: init.body as RequestInit['body'],
        ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        redirect: 'follow',
      } as RequestInit).catch((err: unknown) => {
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
        throw new Error(`cannot reach the registry at ${this.baseUrl} (${cause})`);
      });
    let res = await send();
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      if (await this.authenticate(challenge, repository)) {
        if (init.body instanceof ReadableStream) throw new Error('the registry asked for credentials in the middle of an upload');
        res = await send();
      }
      if (res.status === 401) {
        const text = await res.text().catch(() => '');
        throw new Error(`the registry at ${this.baseUrl} refused the credentials (${describeRegistryError(text) || '401'}): log in with silo login, or pass --creds USER:PASSWORD (a robot token works as the password)`);
      }
    }
    return res;
  }

  private async authenticate(challenge: string, repository: string): Promise<boolean> {
    const bearer = /^Bearer\s+(.*)$/i.exec(challenge);
    if (!bearer) {
      // A Basic challenge: nothing better to offer than what was already sent.
      return false;
    }
    const params = Object.fromEntries([...bearer[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params['realm']) return false;
    const tokenUrl = new URL(params['realm']);
    if (params['service']) tokenUrl.searchParams.set('service', params['service']);
    tokenUrl.searchParams.set('scope', `repository:${repository}:pull,push`);
    const credentials = this.credentials;
    const authorization = credentials === undefined ? undefined : 'username' in credentials ? basic(credentials.username, credentials.password) : `Bearer ${credentials.bearer}`;
    const res = await fetch(tokenUrl, { headers: authorization ? { authorization } : {} });
    if (!res.ok) return false;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.authorization = `Bearer ${token}`;
    return true;
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function describeRegistryError(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    return (parsed.errors ?? []).map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
  } catch {
    return text.slice(0, 200);
  }
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (ok.includes(res.status)) {
    if (res.status !== 200 || what.startsWith('HEAD')) await res.body?.cancel();
    return;
  }
  const text = await res.text().catch(() => '');
  // HEAD answers have no body: say what a 403 means rather than a bare status
  const detail = describeRegistryError(text) || (res.status === 403 ? 'DENIED: these credentials may not push to this repository (a team member pushes to <team>/…)' : '');
  throw new Error(`${what}: the registry answered ${res.status} ${detail}`.trim());
}
