/**
 * The benchmark's floor: an OCI registry that does no work. Blobs and manifests are kept in
 * memory as they arrive; nothing is hashed, verified, authorized, written to disk or recorded. A
 * registry cannot be faster than this on the same machine (it is what skopeo costs by itself, plus
 * one Node HTTP server receiving and sending the bytes), so `time against it / time against
 * Distribution` is the best ratio any registry can reach here.
 *
 * With `--durable DIR` it does the one thing the issue requires of every committed blob and
 * Distribution does not do: at the final PUT the blob is written to a file under DIR, fsynced,
 * renamed into place and its directory fsynced, before the 201 (still no hashing, no database).
 * That is the floor for a registry that keeps the durability rule.
 *
 * Run as its own process (`node null-registry.js [--durable DIR]`); prints `port <n>` once listening on 127.0.0.1.
 * Only for the benchmark: it answers just what `skopeo copy` asks in a push and a pull, plus
 * `DELETE /` (forget everything), which the benchmark sends before each push so that the memory
 * it holds stays one image or one batch of small images. Blobs are kept as the chunks that
 * arrived and sent back as they are: nothing is copied.
 */
import { createHash } from 'node:crypto';
import { FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

const durableIndex = process.argv.indexOf('--durable');
const durableDir = durableIndex > 0 ? process.argv[durableIndex + 1] : undefined;

/**
 * `--durable`: an upload's bytes are written to a temp file as they arrive, flushed in the
 * background every 8 MiB (as Silo's layer store does), so that the final PUT only fsyncs the tail,
 * renames the file into place and fsyncs the directory.
 */
class DurableUpload {
  private file?: Promise<FileHandle>;
  private chain: Promise<unknown> = Promise.resolve();
  private written = 0;
  private unsynced = 0;
  private syncing?: Promise<void>;
  readonly temp: string;

  constructor(dir: string, id: string) {
    this.temp = join(dir, `.upload-${id}-${process.hrtime.bigint()}`);
  }

  append(chunk: Buffer): void {
    this.file ??= open(this.temp, 'w');
    const file = this.file;
    const at = this.written;
    this.written += chunk.length;
    this.chain = this.chain.then(async () => {
      await (await file).write(chunk, 0, chunk.length, at);
      this.unsynced += chunk.length;
      if (this.unsynced >= 8 * 1024 * 1024 && !this.syncing) {
        this.unsynced = 0;
        const handle = await file;
        this.syncing = handle.datasync().finally(() => (this.syncing = undefined));
      }
    });
  }

  async commit(target: string): Promise<void> {
    this.file ??= open(this.temp, 'w');
    const file = await this.file;
    await this.chain;
    if (this.syncing) await this.syncing;
    await file.sync();
    await file.close();
    await rename(this.temp, target);
  }
}

const durable = new Map<string, DurableUpload>();

/** `--durable`: the blob's file fsynced, renamed into place, its directory fsynced. */
async function persist(digest: string, id: string): Promise<void> {
  const upload = durable.get(id);
  if (!durableDir || !upload) return;
  durable.delete(id);
  await upload.commit(join(durableDir, digest.replace(/[^a-z0-9]/g, '_')));
  const dir = await open(durableDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

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
    durable.clear();
    if (!durableDir) return answer(res, 204);
    void rm(durableDir, { recursive: true, force: true })
      .then(() => mkdir(durableDir, { recursive: true }))
      .then(() => answer(res, 204), () => answer(res, 500));
    return;
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
    if (durableDir && !durable.has(id)) durable.set(id, new DurableUpload(durableDir, id));
    const onDisk = durable.get(id);
    if (onDisk) req.on('data', (chunk: Buffer) => onDisk.append(chunk));
    return collect(req, chunks, () => {
      const size = chunks.reduce((a, c) => a + c.length, 0);
      if (req.method === 'PATCH') return answer(res, 202, { Location: path, Range: `0-${Math.max(0, size - 1)}` });
      const digest = url.searchParams.get('digest') ?? '';
      uploads.delete(id);
      persist(digest, id).then(
        () => {
          blobs.set(digest, { chunks, size });
          answer(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        },
        (err: Error) => answer(res, 500, { 'Content-Type': 'text/plain' }, err.message),
      );
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

if (durableDir) void mkdir(durableDir, { recursive: true });
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
