/**
 * The benchmark's floor: an OCI registry that does no work. Blobs and manifests are kept in
 * memory as they arrive; nothing is hashed, verified, authorized, written to disk or recorded. A
 * registry cannot be faster than this on the same machine (it is what skopeo costs by itself, plus
 * one Node HTTP server receiving and sending the bytes), so `time against it / time against
 * Distribution` is the best ratio any registry can reach here.
 *
 * Run as its own process (`node null-registry.js`); prints `port <n>` once listening on 127.0.0.1.
 * Only for the benchmark: it answers just what `skopeo copy` asks in a push and a pull, plus
 * `DELETE /` (forget everything), which the benchmark sends before each push so that the memory
 * it holds stays one image or one batch of small images. Blobs are kept as the chunks that
 * arrived and sent back as they are: nothing is copied.
 */
import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';

const blobs = new Map<string, { chunks: Buffer[]; size: number }>();
const uploads = new Map<string, Buffer[]>();
const manifests = new Map<string, { body: Buffer; type: string; digest: string }>();
let nextUpload = 0;

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}, body?: Buffer | string): void {
  const length = body === undefined ? 0 : Buffer.byteLength(body);
  res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Length': String(length), ...headers });
  res.end(body);
}

function sendBlob(res: ServerResponse, headers: Record<string, string>, blob: { chunks: Buffer[]; size: number }): void {
  res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Length': String(blob.size), ...headers });
  const chunks = blob.chunks;
  let i = 0;
  const more = (): void => {
    while (i < chunks.length) if (!res.write(chunks[i++])) return void res.once('drain', more);
    res.end();
  };
  more();
}

function collect(req: IncomingMessage, into: Buffer[], done: () => void): void {
  req.on('data', (chunk: Buffer) => into.push(chunk));
  req.on('end', done);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://null');
  const path = url.pathname;
  let m: RegExpExecArray | null;
  if (path === '/' && req.method === 'DELETE') {
    blobs.clear();
    uploads.clear();
    manifests.clear();
    return answer(res, 204);
  }
  if (path === '/v2/' || path === '/v2') return answer(res, 200, { 'Content-Type': 'application/json' }, '{}');
  if ((m = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(path)) && req.method === 'POST') {
    req.resume();
    const id = `u${++nextUpload}`;
    uploads.set(id, []);
    return answer(res, 202, { Location: `/v2/${m[1]}/blobs/uploads/${id}`, Range: '0-0' });
  }
  if ((m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(path))) {
    const [, name, id] = m as unknown as [string, string, string];
    const chunks = uploads.get(id);
    if (!chunks) return answer(res, 404);
    return collect(req, chunks, () => {
      const size = chunks.reduce((a, c) => a + c.length, 0);
      if (req.method === 'PATCH') return answer(res, 202, { Location: path, Range: `0-${Math.max(0, size - 1)}` });
      const digest = url.searchParams.get('digest') ?? '';
      blobs.set(digest, { chunks, size });
      uploads.delete(id);
      return answer(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    });
  }
  if ((m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path))) {
    const blob = blobs.get(m[2]!);
    if (!blob) return answer(res, 404);
    const headers = { 'Docker-Content-Digest': m[2]!, 'Content-Type': 'application/octet-stream' };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': String(blob.size) });
      return res.end();
    }
    return sendBlob(res, headers, blob);
  }
  if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path))) {
    const [, name, reference] = m as unknown as [string, string, string];
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      return collect(req, chunks, () => {
        const body = Buffer.concat(chunks);
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
        const entry = { body, type: String(req.headers['content-type'] ?? ''), digest };
        manifests.set(`${name}:${reference}`, entry);
        manifests.set(`${name}:${digest}`, entry);
        answer(res, 201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest });
      });
    }
    const entry = manifests.get(`${name}:${reference}`);
    if (!entry) return answer(res, 404);
    const headers = { 'Content-Type': entry.type, 'Docker-Content-Digest': entry.digest };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': String(entry.body.length) });
      return res.end();
    }
    return answer(res, 200, headers, entry.body);
  }
  req.resume();
  answer(res, 404);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
