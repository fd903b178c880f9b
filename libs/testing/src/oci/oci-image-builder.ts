import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, copyFile, link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execFileSync } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { pack as tarPack, Pack } from 'tar-stream';
import {
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  MediaTypes,
  OciDescriptor,
  OciImageConfig,
  OciIndex,
  OciManifest,
  OciPlatform,
  REF_NAME_ANNOTATION,
} from './oci-types';

/** Where the busybox-static binary is (Debian's busybox-static package installs it as /bin/busybox). */
export const DEFAULT_BUSYBOX = '/bin/busybox';

/** Applets linked into /bin of a `{ busybox: true }` layer (those the binary does not have are left out). */
export const BUSYBOX_APPLETS = [
  '[', 'base64', 'basename', 'cat', 'chmod', 'chown', 'cp', 'cut', 'date', 'dd', 'df', 'dirname', 'du', 'echo', 'env',
  'false', 'find', 'free', 'grep', 'head', 'hostname', 'id', 'ip', 'kill', 'ln', 'ls', 'md5sum', 'mkdir', 'mount',
  'mv', 'nc', 'nslookup', 'ping', 'printf', 'ps', 'pwd', 'readlink', 'rm', 'rmdir', 'sed', 'seq', 'sh', 'sha256sum',
  'sleep', 'sort', 'stat', 'sync', 'tail', 'tee', 'test', 'top', 'touch', 'true', 'umount', 'uname', 'uptime', 'vi',
  'wc', 'wget', 'which', 'whoami', 'xargs', 'yes',
];

/** Timestamp of every tar entry and of the config's `created`, unless `created` says otherwise: builds are reproducible. */
export const DEFAULT_CREATED = '2024-01-01T00:00:00Z';

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const RANDOM_CHUNK = 256 * 1024;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export type LayerCompression = 'gzip' | 'none';

/** One path of a `{ files }` layer. A plain string or Buffer is a regular file (0644, root:root). */
export interface FileSpec {
  /** File content (regular files only). */
  content?: string | Buffer;
  /** Permission bits, including setuid/setgid/sticky (default 0644 files, 0755 directories, 0777 symlinks). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Default 'file'; a path ending in `/` is a directory. 'link' is a hard link to `linkname` (a path in the layer). */
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mtime?: Date;
}

export type FileEntry = string | Buffer | FileSpec;

interface LayerCommon {
  /** 'gzip' (default): `…tar+gzip` layers; 'none': plain `…tar` layers (digest = diffID). */
  compression?: LayerCompression;
  /** The history entry's `created_by` (default: a description of the layer). */
  createdBy?: string;
}

/** /bin/busybox plus symlinks for its common applets, /etc/passwd, /etc/group, /tmp, /root. */
export interface BusyboxLayerSpec extends LayerCommon {
  busybox: true;
  /** Path of a static busybox binary (default /bin/busybox). */
  binary?: string;
  /** Applets to link in /bin (default BUSYBOX_APPLETS). */
  applets?: string[];
}

/** Arbitrary files, directories and links; whiteouts (`.wh.NAME`) and opaque-directory markers (`.wh..wh..opq`). */
export interface FilesLayerSpec extends LayerCommon {
  files: Record<string, FileEntry>;
  /** Paths deleted by this layer: each becomes an empty `DIR/.wh.NAME` entry. */
  whiteouts?: string[];
  /** Directories whose lower-layer content this layer hides: each gets a `DIR/.wh..wh..opq` entry. */
  opaqueDirs?: string[];
}

/** One file of `randomBytes` random bytes, streamed (never held in memory whole). */
export interface RandomLayerSpec extends LayerCommon {
  randomBytes: number;
  /** Same seed, same bytes (and digest); without one, fresh content on every build. */
  seed?: string;
  /** Path of the file in the layer (default `random.bin`). */
  path?: string;
}

export type LayerSpec = BusyboxLayerSpec | FilesLayerSpec | RandomLayerSpec;

export interface ImageConfigSpec {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  /** `['8080/tcp']` or `{ '8080/tcp': {} }`. */
  ExposedPorts?: string[] | Record<string, object>;
  Labels?: Record<string, string>;
  Volumes?: string[] | Record<string, object>;
  StopSignal?: string;
}

export interface BuildOciLayoutOptions {
  /** Tag in the layout's index.json (`org.opencontainers.image.ref.name`); default 'latest'. */
  tag?: string;
  /**
   * Layers, bottom first (default: one busybox layer). A function builds each platform's own
   * layers; an array is built once and shared by every platform.
   */
  layers?: LayerSpec[] | ((platform: OciPlatform) => LayerSpec[]);
  /** With this option (even with one entry) the tag names an image index with one manifest per platform; without it, one image manifest for this host's platform. */
  platforms?: OciPlatform[];
  /** Annotations of the image manifest(s), and of the index when there is one (OCI only: Docker schema 2 has none). */
  annotations?: Record<string, string>;
  /** The image config's `config` (default Env PATH=…, and Cmd ['sh'] when there is a busybox layer). Merged over the default. */
  config?: ImageConfigSpec;
  /** 'oci' (default) or 'docker' (Docker schema 2 manifest / manifest list / config / layer media types). */
  mediaTypes?: 'oci' | 'docker';
  /** Config `created` and every tar entry's mtime (default DEFAULT_CREATED). */
  created?: string;
  /** zlib level of gzip layers (default zlib's 6; 1 is much faster for random data). */
  gzipLevel?: number;
}

export interface BuiltLayer {
  mediaType: string;
  /** Digest of the blob (the compressed tar for gzip layers). */
  digest: string;
  /** sha256 of the uncompressed tar, as listed in the config's rootfs.diff_ids. */
  diffId: string;
  /** Blob size in bytes. */
  size: number;
  uncompressedSize: number;
}

export interface BuiltManifest {
  platform: OciPlatform;
  mediaType: string;
  digest: string;
  size: number;
  descriptor: OciDescriptor;
  manifest: OciManifest;
  config: OciImageConfig;
  configDigest: string;
  layers: BuiltLayer[];
}

export interface BuiltImage {
  /** The OCI image layout directory. */
  dir: string;
  tag: string;
  /** `oci:DIR:TAG`. */
  layoutRef: string;
  /**
   * The source to give `skopeo copy`: `layoutRef` for OCI images; for Docker media types a `dir:`
   * view of the same blobs (skopeo's oci: transport cannot read Docker manifests from a layout).
   */
  skopeoRef: string;
  /** Digest of what the tag names: the index when there are platforms, else the image manifest. */
  digest: string;
  mediaType: string;
  /** Descriptor of what the tag names (use it as an artifact's `subject`). */
  descriptor: OciDescriptor;
  /** Digest of the (first platform's) image manifest. */
  manifestDigest: string;
  /** Digest of the image index / manifest list, when `platforms` was given. */
  indexDigest?: string;
  index?: OciIndex;
  /** One image manifest per platform (exactly one without `platforms`). */
  manifests: BuiltManifest[];
  /** Layers of the first platform's image. */
  layers: BuiltLayer[];
  /** Config digest of the first platform's image. */
  configDigest: string;
  /** Bytes of all distinct blobs the tag reaches (index, manifests, configs, layers): what a push uploads. */
  totalSize: number;
}

export interface ArtifactBlobSpec {
  content: string | Buffer;
  /** Default application/octet-stream. */
  mediaType?: string;
  /** Sets the `org.opencontainers.image.title` annotation (what oras uses as the file name). */
  title?: string;
  annotations?: Record<string, string>;
}

export interface BuildArtifactOptions {
  /** Tag in the layout's index.json; default 'artifact'. */
  tag?: string;
  artifactType: string;
  /** The artifact's blobs (its `layers`). Without any, `layers` holds the empty descriptor, as the spec asks. */
  blobs?: ArtifactBlobSpec[];
  /** The manifest this artifact refers to (a BuiltImage's `descriptor`, for referrers tests). */
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

export interface BuiltArtifact {
  dir: string;
  tag: string;
  /** `oci:DIR:TAG`. */
  layoutRef: string;
  /** The same: the source to give `skopeo copy`. */
  skopeoRef: string;
  digest: string;
  mediaType: string;
  size: number;
  descriptor: OciDescriptor;
  artifactType: string;
  manifest: OciManifest;
  configDigest: string;
  blobs: OciDescriptor[];
  totalSize: number;
}

// ---------------------------------------------------------------------------------------------
// Layout files

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function blobPath(dir: string, digest: string): string {
  const [algorithm, encoded] = digest.split(':', 2);
  if (!algorithm || !encoded) throw new Error(`not a digest: ${digest}`);
  return join(dir, 'blobs', algorithm, encoded);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function initLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const marker = join(dir, 'oci-layout');
  if (!(await exists(marker))) await writeFile(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

/** Writes bytes as a blob of the layout (atomically; a blob already there is kept). */
export async function writeBlob(dir: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const path = blobPath(dir, digest);
  if (!(await exists(path))) {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const tmp = join(dir, 'blobs', 'sha256', `.tmp-${randomUUID()}`);
    await writeFile(tmp, data);
    await rename(tmp, path);
  }
  return { digest, size: data.length };
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Adds (or replaces) the descriptor that `tag` names in the layout's index.json. */
async function tagInLayout(dir: string, tag: string, descriptor: OciDescriptor): Promise<void> {
  const path = join(dir, 'index.json');
  let index: OciIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
  if (await exists(path)) index = JSON.parse(await readFile(path, 'utf8')) as OciIndex;
  index.manifests = (index.manifests ?? []).filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag);
  index.manifests.push({ ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: tag } });
  const tmp = `${path}.tmp-${randomUUID()}`;
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, path);
}

/** Directory in a layout that holds skopeo `dir:` views of Docker-media-type images, one per tag. */
export const SKOPEO_DIR_VIEWS = '.skopeo-dir';

/**
 * Writes skopeo's `dir:` transport layout for one image of the layout: `version`, `manifest.json`
 * (the top-level manifest), `<hex>.manifest.json` per index instance, and every other blob as
 * `<hex>`, hard-linked from blobs/ where possible.
 */
async function writeSkopeoDirView(dir: string, view: string, topDigest: string, instances: BuiltManifest[], digests: Iterable<string>): Promise<void> {
  await rm(view, { recursive: true, force: true });
  await mkdir(view, { recursive: true });
  await writeFile(join(view, 'version'), 'Directory Transport Version: 1.1\n');
  const place = async (digest: string, name: string) => {
    try {
      await link(blobPath(dir, digest), join(view, name));
    } catch {
      await copyFile(blobPath(dir, digest), join(view, name));
    }
  };
  await place(topDigest, 'manifest.json');
  const instanceDigests = new Set(instances.map((m) => m.digest));
  for (const m of instances) await place(m.digest, `${m.digest.split(':')[1]}.manifest.json`);
  for (const digest of new Set(digests)) {
    if (digest !== topDigest && !instanceDigests.has(digest)) await place(digest, digest.split(':')[1] as string);
  }
}

// ---------------------------------------------------------------------------------------------
// Tar layers

type Body = Buffer | (() => AsyncIterable<Buffer> | Iterable<Buffer>);

interface TarEntry {
  /** Path without leading slash or trailing slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  linkname?: string;
  size: number;
  body?: Body;
}

/** Normalizes a layer path: no leading `/` or `./`, no `..`, no empty components. */
export function normalizeLayerPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new Error(`invalid layer path "${path}"`);
  if (parts.includes('..')) throw new Error(`layer path "${path}" must not contain ".."`);
  return parts.join('/');
}

/** Parents before children; within a directory the opaque marker first, then byte order. */
function compareLayerPaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (x === OPAQUE_MARKER) return -1;
    if (y === OPAQUE_MARKER) return 1;
    return Buffer.compare(Buffer.from(x), Buffer.from(y));
  }
  return pa.length - pb.length;
}

/** Adds the missing parent directories (0755 root:root) and sorts parents before their children. */
function completeTree(entries: Map<string, TarEntry>, mtime: Date): TarEntry[] {
  for (const path of [...entries.keys()]) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = entries.get(parent);
      if (!existing) entries.set(parent, { path: parent, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime, size: 0 });
      else if (existing.type !== 'directory') throw new Error(`layer path "${parent}" is both a ${existing.type} and a parent of "${path}"`);
    }
  }
  return [...entries.values()].sort((a, b) => compareLayerPaths(a.path, b.path));
}

function* randomChunks(total: number, seed?: string): Iterable<Buffer> {
  // AES-256-CTR over zeros: fast, and reproducible from a seed.
  const key = seed === undefined ? randomBytes(32) : createHash('sha256').update(`silo-testing:random:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(RANDOM_CHUNK);
  for (let left = total; left > 0; left -= RANDOM_CHUNK) {
    yield cipher.update(left >= RANDOM_CHUNK ? zeros : zeros.subarray(0, left));
  }
}

const busyboxListCache = new Map<string, Set<string>>();

function busyboxApplets(binary: string): Set<string> {
  let list = busyboxListCache.get(binary);
  if (!list) {
    list = new Set(execFileSync(binary, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean));
    busyboxListCache.set(binary, list);
  }
  return list;
}

/** Throws unless `path` is a statically linked ELF executable (no PT_INTERP program header). */
async function assertStaticElf(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => {
    throw new Error(`${path} not found: apt-get install busybox-static`);
  });
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF executable`);
    if (header[4] !== 2 || header[5] !== 1) return; // only 64-bit little-endian is checked
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3) {
        throw new Error(`${path} is dynamically linked, so it cannot run alone in an image: apt-get install busybox-static`);
      }
    }
  } finally {
    await handle.close();
  }
}

async function busyboxEntries(spec: BusyboxLayerSpec, mtime: Date): Promise<TarEntry[]> {
  const binary = spec.binary ?? DEFAULT_BUSYBOX;
  await assertStaticElf(binary);
  const available = busyboxApplets(binary);
  const { size } = await stat(binary);
  const entries = new Map<string, TarEntry>();
  const add = (e: Omit<TarEntry, 'uid' | 'gid' | 'mtime' | 'size'> & { size?: number }) =>
    entries.set(e.path, { uid: 0, gid: 0, mtime, size: 0, ...e });
  add({ path: 'bin', type: 'directory', mode: 0o755 });
  add({ path: 'bin/busybox', type: 'file', mode: 0o755, size, body: () => createReadStream(binary) });
  for (const applet of spec.applets ?? BUSYBOX_APPLETS) {
    if (applet !== 'busybox' && available.has(applet)) add({ path: `bin/${applet}`, type: 'symlink', mode: 0o777, linkname: 'busybox' });
  }
  const passwd = Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  const group = Buffer.from('root:x:0:\nnobody:x:65534:\n');
  add({ path: 'etc', type: 'directory', mode: 0o755 });
  add({ path: 'etc/passwd', type: 'file', mode: 0o644, size: passwd.length, body: passwd });
  add({ path: 'etc/group', type: 'file', mode: 0o644, size: group.length, body: group });
  add({ path: 'root', type: 'directory', mode: 0o700 });
  add({ path: 'tmp', type: 'directory', mode: 0o1777 });
  return completeTree(entries, mtime);
}

function filesEntries(spec: FilesLayerSpec, mtime: Date): TarEntry[] {
  const entries = new Map<string, TarEntry>();
  for (const [rawPath, value] of Object.entries(spec.files)) {
    const path = normalizeLayerPath(rawPath);
    const fileSpec: FileSpec = typeof value === 'string' || Buffer.isBuffer(value) ? { content: value } : value;
    const type = fileSpec.type ?? (rawPath.endsWith('/') ? 'directory' : 'file');
    const common = { path, uid: fileSpec.uid ?? 0, gid: fileSpec.gid ?? 0, mtime: fileSpec.mtime ?? mtime };
    if (type === 'file') {
      const body = Buffer.isBuffer(fileSpec.content) ? fileSpec.content : Buffer.from(fileSpec.content ?? '');
      entries.set(path, { ...common, type, mode: fileSpec.mode ?? 0o644, size: body.length, body });
    } else if (type === 'directory') {
      entries.set(path, { ...common, type, mode: fileSpec.mode ?? 0o755, size: 0 });
    } else {
      if (!fileSpec.linkname) throw new Error(`layer path "${rawPath}": a ${type} needs a linkname`);
      const linkname = type === 'link' ? normalizeLayerPath(fileSpec.linkname) : fileSpec.linkname;
      entries.set(path, { ...common, type, mode: fileSpec.mode ?? (type === 'symlink' ? 0o777 : 0o644), size: 0, linkname });
    }
  }
  const marker = (path: string) => ({ path, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime, size: 0, body: Buffer.alloc(0) });
  for (const rawPath of spec.whiteouts ?? []) {
    const path = normalizeLayerPath(rawPath);
    const name = posix.basename(path);
    const parent = posix.dirname(path);
    const whiteout = parent === '.' ? `${WHITEOUT_PREFIX}${name}` : `${parent}/${WHITEOUT_PREFIX}${name}`;
    entries.set(whiteout, marker(whiteout));
  }
  for (const rawPath of spec.opaqueDirs ?? []) {
    const path = normalizeLayerPath(rawPath);
    if (!entries.has(path)) entries.set(path, { path, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime, size: 0 });
    entries.set(`${path}/${OPAQUE_MARKER}`, marker(`${path}/${OPAQUE_MARKER}`));
  }
  return completeTree(entries, mtime);
}

function randomEntries(spec: RandomLayerSpec, mtime: Date): TarEntry[] {
  if (!Number.isSafeInteger(spec.randomBytes) || spec.randomBytes < 0) throw new Error(`randomBytes must be a non-negative integer, got ${spec.randomBytes}`);
  const path = normalizeLayerPath(spec.path ?? 'random.bin');
  const entries = new Map<string, TarEntry>([
    [path, { path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, size: spec.randomBytes, body: () => randomChunks(spec.randomBytes, spec.seed) }],
  ]);
  return completeTree(entries, mtime);
}

function describeLayer(spec: LayerSpec): string {
  if (spec.createdBy) return spec.createdBy;
  if ('busybox' in spec) return 'silo-testing: busybox';
  if ('randomBytes' in spec) return `silo-testing: ${spec.randomBytes} random bytes${spec.seed === undefined ? '' : ` (seed ${spec.seed})`}`;
  const counts = [`${Object.keys(spec.files).length} files`];
  if (spec.whiteouts?.length) counts.push(`${spec.whiteouts.length} whiteouts`);
  if (spec.opaqueDirs?.length) counts.push(`${spec.opaqueDirs.length} opaque dirs`);
  return `silo-testing: ${counts.join(', ')}`;
}

function waitDrain(sink: { on(event: string, fn: (err?: unknown) => void): unknown; off(event: string, fn: (err?: unknown) => void): unknown }): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      if (err instanceof Error) reject(err);
      else resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
    sink.on('error', done);
  });
}

async function writeTarEntry(pack: Pack, entry: TarEntry): Promise<void> {
  const header: Parameters<Pack['entry']>[0] = {
    name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime,
    size: entry.size,
    linkname: entry.linkname,
  };
  const body = entry.body;
  if (entry.type !== 'file' || body === undefined || Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (entry.type === 'file') pack.entry(header, (body as Buffer | undefined) ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb);
    });
    return;
  }
  let written = 0;
  const finished = new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    void (async () => {
      for await (const chunk of body()) {
        written += chunk.length;
        if (!sink.write(chunk)) await waitDrain(sink);
      }
      if (written !== entry.size) throw new Error(`layer path "${entry.path}": expected ${entry.size} bytes, got ${written}`);
      sink.end(undefined);
    })().catch((err: unknown) => {
      sink.destroy(err as Error);
      reject(err);
    });
  });
  await finished;
}

function tap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}

/** Streams the entries as a tar (optionally gzip) blob into the layout; returns its digests and sizes. */
async function writeLayerBlob(dir: string, entries: TarEntry[], compression: LayerCompression, gzipLevel: number | undefined, docker: boolean): Promise<BuiltLayer> {
  const tmp = join(dir, 'blobs', 'sha256', `.tmp-${randomUUID()}`);
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let uncompressedSize = 0;
  let size = 0;
  const pack = tarPack();
  const source = pack as unknown as NodeJS.ReadableStream;
  const tarTap = tap((c) => (diffHash.update(c), (uncompressedSize += c.length)));
  const blobTap = tap((c) => (blobHash.update(c), (size += c.length)));
  const done =
    compression === 'gzip'
      ? pipeline(source, tarTap, createGzip(gzipLevel === undefined ? {} : { level: gzipLevel }), blobTap, createWriteStream(tmp))
      : pipeline(source, tarTap, blobTap, createWriteStream(tmp));
  const fill = async () => {
    for (const entry of entries) await writeTarEntry(pack, entry);
    pack.finalize();
  };
  try {
    await Promise.all([
      fill().catch((err: unknown) => {
        pack.destroy(err as Error);
        throw err;
      }),
      done,
    ]);
  } catch (err) {
    await done.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  const digest = `sha256:${blobHash.digest('hex')}`;
  await rename(tmp, blobPath(dir, digest));
  const mediaType =
    compression === 'gzip' ? (docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip) : docker ? MediaTypes.dockerLayer : MediaTypes.ociLayer;
  return { mediaType, digest, diffId: `sha256:${diffHash.digest('hex')}`, size, uncompressedSize };
}

async function buildLayer(dir: string, spec: LayerSpec, mtime: Date, gzipLevel: number | undefined, docker: boolean): Promise<BuiltLayer> {
  const entries = 'busybox' in spec ? await busyboxEntries(spec, mtime) : 'randomBytes' in spec ? randomEntries(spec, mtime) : filesEntries(spec, mtime);
  return writeLayerBlob(dir, entries, spec.compression ?? 'gzip', gzipLevel, docker);
}

// ---------------------------------------------------------------------------------------------
// Images

/** This host's platform in OCI terms (the platform of the busybox binary an image gets). */
export function hostPlatform(): OciPlatform {
  const map: Record<string, OciPlatform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ia32: { os: 'linux', architecture: '386' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
  };
  return map[process.arch] ?? { os: 'linux', architecture: process.arch };
}

function toSet(value: string[] | Record<string, object> | undefined): Record<string, object> | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? Object.fromEntries(value.map((v) => [v, {}])) : value;
}

function imageConfigSection(specs: LayerSpec[], config: ImageConfigSpec | undefined): NonNullable<OciImageConfig['config']> {
  const hasBusybox = specs.some((s) => 'busybox' in s);
  const merged = { Env: DEFAULT_ENV, ...(hasBusybox ? { Cmd: ['sh'] } : {}), ...config };
  const out: NonNullable<OciImageConfig['config']> = {};
  if (merged.User !== undefined) out.User = merged.User;
  if (merged.ExposedPorts !== undefined) out.ExposedPorts = toSet(merged.ExposedPorts);
  if (merged.Env !== undefined) out.Env = merged.Env;
  if (merged.Entrypoint !== undefined) out.Entrypoint = merged.Entrypoint;
  if (merged.Cmd !== undefined) out.Cmd = merged.Cmd;
  if (merged.Volumes !== undefined) out.Volumes = toSet(merged.Volumes);
  if (merged.WorkingDir !== undefined) out.WorkingDir = merged.WorkingDir;
  if (merged.Labels !== undefined) out.Labels = merged.Labels;
  if (merged.StopSignal !== undefined) out.StopSignal = merged.StopSignal;
  return out;
}

function platformObject(p: OciPlatform): OciPlatform {
  const out: OciPlatform = { architecture: p.architecture, os: p.os };
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']) out['os.features'] = p['os.features'];
  if (p.variant) out.variant = p.variant;
  return out;
}

/**
 * Builds a small, real image into an OCI image layout directory (created if missing; other tags
 * already in it are kept), ready for `skopeo copy <result.skopeoRef> docker://…`. Deterministic:
 * the same options give the same digests, except unseeded random layers. One build at a time per
 * layout directory (index.json is rewritten without a lock).
 */
export async function buildOciLayout(dir: string, options: BuildOciLayoutOptions = {}): Promise<BuiltImage> {
  const tag = options.tag ?? 'latest';
  const docker = options.mediaTypes === 'docker';
  const created = options.created ?? DEFAULT_CREATED;
  const mtime = new Date(created);
  if (Number.isNaN(mtime.getTime())) throw new Error(`invalid created timestamp "${created}"`);
  const platforms = options.platforms ?? [hostPlatform()];
  if (platforms.length === 0) throw new Error('platforms must not be empty');
  const types = docker
    ? { manifest: MediaTypes.dockerManifest, index: MediaTypes.dockerManifestList, config: MediaTypes.dockerConfig }
    : { manifest: MediaTypes.ociManifest, index: MediaTypes.ociIndex, config: MediaTypes.ociConfig };
  await initLayout(dir);

  const blobSizes = new Map<string, number>();
  let shared: BuiltLayer[] | undefined;
  const manifests: BuiltManifest[] = [];
  for (const platform of platforms) {
    const specs = typeof options.layers === 'function' ? options.layers(platform) : (options.layers ?? [{ busybox: true }]);
    let layers: BuiltLayer[];
    if (typeof options.layers !== 'function' && shared) layers = shared;
    else {
      layers = [];
      for (const spec of specs) layers.push(await buildLayer(dir, spec, mtime, options.gzipLevel, docker));
      shared = layers;
    }
    const config: OciImageConfig = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: imageConfigSection(specs, options.config),
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: specs.map((spec) => ({ created, created_by: describeLayer(spec) })),
    };
    const configBlob = await writeBlob(dir, jsonBytes(config));
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, digest: configBlob.digest, size: configBlob.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ...(!docker && options.annotations ? { annotations: options.annotations } : {}),
    };
    const manifestBlob = await writeBlob(dir, jsonBytes(manifest));
    blobSizes.set(configBlob.digest, configBlob.size);
    blobSizes.set(manifestBlob.digest, manifestBlob.size);
    for (const l of layers) blobSizes.set(l.digest, l.size);
    const descriptor: OciDescriptor = { mediaType: types.manifest, digest: manifestBlob.digest, size: manifestBlob.size };
    manifests.push({
      platform: platformObject(platform),
      mediaType: types.manifest,
      digest: manifestBlob.digest,
      size: manifestBlob.size,
      descriptor,
      manifest,
      config,
      configDigest: configBlob.digest,
      layers,
    });
  }

  const first = manifests[0] as BuiltManifest;
  let descriptor = first.descriptor;
  let index: OciIndex | undefined;
  if (options.platforms) {
    index = {
      schemaVersion: 2,
      mediaType: types.index,
      manifests: manifests.map((m) => ({ ...m.descriptor, platform: m.platform })),
      ...(!docker && options.annotations ? { annotations: options.annotations } : {}),
    };
    const indexBlob = await writeBlob(dir, jsonBytes(index));
    blobSizes.set(indexBlob.digest, indexBlob.size);
    descriptor = { mediaType: types.index, digest: indexBlob.digest, size: indexBlob.size };
  }
  await tagInLayout(dir, tag, descriptor);
  // skopeo's oci: transport (containers/image) only finds index.json entries of the two OCI media
  // types and assumes an index's children are OCI manifests: Docker images go to skopeo through a
  // dir: view of the same blobs (hard links) that names every manifest's type truthfully.
  let skopeoRef = `oci:${dir}:${tag}`;
  if (docker) {
    const view = join(dir, SKOPEO_DIR_VIEWS, tag);
    await writeSkopeoDirView(dir, view, descriptor.digest, index ? manifests : [], blobSizes.keys());
    skopeoRef = `dir:${view}`;
  }
  return {
    dir,
    tag,
    layoutRef: `oci:${dir}:${tag}`,
    skopeoRef,
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    descriptor,
    manifestDigest: first.digest,
    ...(index ? { indexDigest: descriptor.digest, index } : {}),
    manifests,
    layers: first.layers,
    configDigest: first.configDigest,
    totalSize: [...blobSizes.values()].reduce((a, b) => a + b, 0),
  };
}

/**
 * Builds an OCI artifact (an image manifest with `artifactType` and the empty config, as OCI 1.1
 * defines it), optionally with a `subject`, into an OCI image layout directory.
 */
export async function buildArtifact(dir: string, options: BuildArtifactOptions): Promise<BuiltArtifact> {
  const tag = options.tag ?? 'artifact';
  await initLayout(dir);
  const empty = await writeBlob(dir, EMPTY_JSON);
  if (empty.digest !== EMPTY_JSON_DIGEST) throw new Error('empty descriptor digest mismatch');
  const emptyDescriptor: OciDescriptor = { mediaType: MediaTypes.ociEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.length };
  const blobSizes = new Map<string, number>([[empty.digest, empty.size]]);
  const blobs: OciDescriptor[] = [];
  for (const spec of options.blobs ?? []) {
    const written = await writeBlob(dir, Buffer.isBuffer(spec.content) ? spec.content : Buffer.from(spec.content));
    blobSizes.set(written.digest, written.size);
    const annotations = { ...spec.annotations, ...(spec.title ? { 'org.opencontainers.image.title': spec.title } : {}) };
    blobs.push({
      mediaType: spec.mediaType ?? 'application/octet-stream',
      digest: written.digest,
      size: written.size,
      ...(Object.keys(annotations).length ? { annotations } : {}),
    });
  }
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: options.artifactType,
    config: emptyDescriptor,
    layers: blobs.length ? blobs : [emptyDescriptor],
    ...(options.subject
      ? { subject: { mediaType: options.subject.mediaType, digest: options.subject.digest, size: options.subject.size } }
      : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  const written = await writeBlob(dir, jsonBytes(manifest));
  blobSizes.set(written.digest, written.size);
  const descriptor: OciDescriptor = {
    mediaType: MediaTypes.ociManifest,
    digest: written.digest,
    size: written.size,
    artifactType: options.artifactType,
  };
  await tagInLayout(dir, tag, descriptor);
  return {
    dir,
    tag,
    layoutRef: `oci:${dir}:${tag}`,
    skopeoRef: `oci:${dir}:${tag}`,
    digest: written.digest,
    mediaType: MediaTypes.ociManifest,
    size: written.size,
    descriptor,
    artifactType: options.artifactType,
    manifest,
    configDigest: EMPTY_JSON_DIGEST,
    blobs,
    totalSize: [...blobSizes.values()].reduce((a, b) => a + b, 0),
  };
}
