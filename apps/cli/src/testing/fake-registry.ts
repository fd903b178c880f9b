import { createHash, randomBytes } from 'node:crypto';
import { FakeServer, json, startFakeServer } from './fake-api';

export interface FakeRegistry extends FakeServer {
  blobs: Map<string, Buffer>;
  manifests: Map<string, { mediaType: string; body: Buffer }>;
  /** How many blob uploads completed. */
  uploads(): number;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Test support: the few OCI distribution endpoints a push uses (HEAD blob, POST upload, PUT upload
 * with ?digest=, PUT manifest), verifying digests as a registry does. With `token`, it answers
 * anonymous requests with a Bearer challenge and issues tokens for Basic credentials (token flow).
 */
export async function startFakeRegistry(options: { basic?: string; token?: boolean } = {}): Promise<FakeRegistry> {
  const server = await startFakeServer();
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { mediaType: string; body: Buffer }>();
  const uploads = new Map<string, true>();
  let completed = 0;
  const issued = `tok-${randomBytes(4).toString('hex')}`;
  const authorized = (header: string | undefined) =>
    options.token ? header === `Bearer ${issued}` : options.basic ? header === `Basic ${Buffer.from(options.basic).toString('base64')}` : true;
  const guard = (handler: Parameters<FakeServer['route']>[1]): Parameters<FakeServer['route']>[1] => (req, res) => {
    if (!authorized(req.headers.authorization)) {
      const challenge = options.token ? `Bearer realm="${server.url}/auth/token",service="fake-registry"` : 'Basic realm="fake"';
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': challenge });
    }
    return handler(req, res);
  };
  server.route('GET /auth/token', (req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from(options.basic ?? 'admin:pw').toString('base64')}`) return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
    json(res, 200, { token: issued });
  });
  server.route(/^HEAD \/v2\/.+\/blobs\/sha256:[a-f0-9]+$/, guard((req, res) => {
    const digest = req.url.split('/').pop()!;
    const blob = blobs.get(digest);
    res.writeHead(blob ? 200 : 404, blob ? { 'content-length': String(blob.length), 'docker-content-digest': digest } : {}).end();
  }));
  server.route(/^POST \/v2\/.+\/blobs\/uploads\/$/, guard((req, res) => {
    const id = randomBytes(8).toString('hex');
    uploads.set(id, true);
    const name = req.url.replace(/^\/v2\//, '').replace(/\/blobs\/uploads\/.*$/, '');
    res.writeHead(202, { location: `/v2/${name}/blobs/uploads/${id}`, 'docker-upload-uuid': id }).end();
  }));
  server.route(/^PUT \/v2\/.+\/blobs\/uploads\/[a-f0-9]+$/, guard((req, res) => {
    const url = new URL(req.url, server.url);
    const id = url.pathname.split('/').pop()!;
    const digest = url.searchParams.get('digest');
    if (!uploads.delete(id)) return json(res, 404, { errors: [{ code: 'BLOB_UPLOAD_UNKNOWN', message: id }] });
    if (sha(req.body) !== digest) return json(res, 400, { errors: [{ code: 'DIGEST_INVALID', message: `got ${sha(req.body)}` }] });
    blobs.set(digest, req.body);
    completed++;
    res.writeHead(201, { location: `/v2/x/blobs/${digest}`, 'docker-content-digest': digest }).end();
  }));
  server.route(/^PUT \/v2\/.+\/manifests\/[^/]+$/, guard((req, res) => {
    const name = req.url.replace(/^\/v2\//, '').replace(/\/manifests\/[^/]+$/, '');
    const reference = req.url.split('/').pop()!;
    const manifest = JSON.parse(req.body.toString('utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }>; manifests?: Array<{ digest: string }> };
    for (const d of [manifest.config, ...(manifest.layers ?? [])].filter(Boolean)) {
      if (!blobs.has(d!.digest)) return json(res, 400, { errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: d!.digest }] });
    }
    for (const child of manifest.manifests ?? []) {
      if (!manifests.has(`${name}@${child.digest}`)) return json(res, 400, { errors: [{ code: 'MANIFEST_UNKNOWN', message: child.digest }] });
    }
    const digest = sha(req.body);
    const entry = { mediaType: req.headers['content-type'] ?? '', body: req.body };
    manifests.set(`${name}@${digest}`, entry);
    manifests.set(`${name}:${reference}`, entry);
    res.writeHead(201, { 'docker-content-digest': digest }).end();
  }));
  return { ...server, blobs, manifests, uploads: () => completed };
}
