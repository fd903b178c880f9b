import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, lchown, link, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, Header } from 'tar-stream';
import { CommandRunner } from './command-runner';
import { DiffIdMismatch, LayerUnpackError, UnsupportedLayerFormat } from './errors/snapshot-errors';
import { classifyWhiteout, OVERLAY_OPAQUE_XATTR, OverlayWhiteouts, XattrSetting, XattrWriter } from './whiteouts';

export interface UnpackOptions {
  /** sha256 of the uncompressed tar (the image config's diff_id): checked at the end. */
  expectedDiffId?: string;
  /** Bytes of the blob read so far (compressed bytes for a gzip layer). */
  onProgress?(bytesRead: number): void;
}

export interface UnpackResult {
  diffId: string;
  /** Size of the uncompressed tar. */
  tarBytes: number;
  /** Bytes of regular-file content written. */
  contentBytes: number;
  entries: number;
}

type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Compression of a layer blob, by its first bytes (media types lie more often than magic numbers do). */
export async function sniffCompression(path: string): Promise<Compression> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const starts = (magic: number[]) => bytesRead >= magic.length && magic.every((b, i) => head[i] === b);
    if (starts(GZIP_MAGIC)) return 'gzip';
    if (starts(ZSTD_MAGIC)) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/** A tar entry name made safe: relative, no `.`/`..`/empty components. '' is the layer root. */
export function normalizeEntryPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new LayerUnpackError(`layer entry "${name}" escapes the layer (contains "..")`, { entry: name });
    parts.push(part);
  }
  return parts.join('/');
}

type Known = 'dir' | 'other';

type TarHeader = Partial<Header> & Pick<Header, 'name'>;

/**
 * Unpacks one layer tar (gzip or plain) into an empty directory, the way a container runtime
 * must: owners, modes (setuid included), mtimes, symlinks, hard links, devices and fifos as the
 * tar says; parents created implicitly; OCI whiteouts turned into overlayfs whiteouts (`.wh.NAME`
 * → a 0/0 character device NAME, `.wh..wh..opq` → `trusted.overlay.opaque=y` on its directory).
 * Nothing is written outside the directory: `..` is refused, and so is any entry that would pass
 * through a symlink or a file. The sha256 of the uncompressed stream is the layer's diffID,
 * checked against the expected one after the last byte.
 */
export class LayerUnpacker {
  constructor(
    private readonly whiteouts: OverlayWhiteouts,
    private readonly xattrs = new XattrWriter(),
    private readonly runner = new CommandRunner(),
  ) {}

  async unpack(blobPath: string, dest: string, options: UnpackOptions = {}): Promise<UnpackResult> {
    const compression = await sniffCompression(blobPath);
    if (compression === 'zstd') {
      throw new UnsupportedLayerFormat('zstd-compressed layers are not supported by this node agent (Node 20 has no zstd): push gzip or uncompressed layers');
    }
    const state = new UnpackState(dest);
    const diffHash = createHash('sha256');
    let tarBytes = 0;
    let bytesRead = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytesRead += chunk.length;
        options.onProgress?.(bytesRead);
        cb(null, chunk);
      },
    });
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        diffHash.update(chunk);
        tarBytes += chunk.length;
        cb(null, chunk);
      },
    });
    const extract = tarExtract();
    extract.on('entry', (header, stream, next) => {
      this.entry(state, header, stream as unknown as Readable).then(
        () => next(),
        (err: unknown) => {
          stream.resume();
          next(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
    const source = createReadStream(blobPath, { highWaterMark: 1024 * 1024 });
    try {
      if (compression === 'gzip') await pipeline(source, counter, createGunzip(), hasher, extract);
      else await pipeline(source, counter, hasher, extract);
    } catch (err) {
      if (err instanceof LayerUnpackError || err instanceof UnsupportedLayerFormat) throw err;
      throw new LayerUnpackError(`layer ${blobPath} could not be unpacked: ${err instanceof Error ? err.message : String(err)}`);
    }
    const diffId = `sha256:${diffHash.digest('hex')}`;
    if (options.expectedDiffId && options.expectedDiffId !== diffId) throw new DiffIdMismatch(options.expectedDiffId, diffId);
    await this.xattrs.apply(dest, state.xattrs);
    // Directory mtimes last, deepest first: creating their children changed them.
    for (const [path, mtime] of [...state.dirTimes].sort((a, b) => b[0].split('/').length - a[0].split('/').length)) {
      await utimes(state.abs(path), mtime, mtime);
    }
    return { diffId, tarBytes, contentBytes: state.contentBytes, entries: state.entries };
  }

  private async entry(state: UnpackState, header: TarHeader, stream: Readable): Promise<void> {
    const path = normalizeEntryPath(header.name);
    const type = header.type ?? 'file';
    state.entries += 1;
    const whiteout = classifyWhiteout(path);
    if (whiteout.kind !== 'none') {
      stream.resume();
      await state.ensureParents(path);
      if (whiteout.kind === 'whiteout') {
        await state.clear(whiteout.target);
        await this.whiteouts.create(state.abs(whiteout.target));
        state.known.set(whiteout.target, 'other');
      } else if (whiteout.kind === 'opaque') {
        state.xattrs.push({ path: whiteout.dir || '.', name: OVERLAY_OPAQUE_XATTR, value: Buffer.from('y') });
      }
      return;
    }
    const mode = (header.mode ?? 0o644) & 0o7777;
    const uid = header.uid ?? 0;
    const gid = header.gid ?? 0;
    const mtime = header.mtime ?? new Date(0);
    if (path === '') {
      // The layer root ("./"): its metadata becomes the snapshot root's.
      stream.resume();
      if (type !== 'directory') throw new LayerUnpackError(`layer root entry "${header.name}" is a ${type}, not a directory`);
      await this.setMeta(state.abs(''), uid, gid, mode);
      state.dirTimes.set('', mtime);
      return;
    }
    await state.ensureParents(path);
    const abs = state.abs(path);
    switch (type) {
      case 'directory': {
        stream.resume();
        if (state.known.get(path) === 'other') await state.clear(path);
        if (!state.known.has(path)) await mkdir(abs, { mode: 0o700 });
        state.known.set(path, 'dir');
        await this.setMeta(abs, uid, gid, mode);
        state.dirTimes.set(path, mtime);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        await state.clear(path);
        state.known.set(path, 'other');
        await pipeline(stream, createWriteStream(abs, { flags: 'wx', mode: 0o600 }));
        state.contentBytes += header.size ?? 0;
        await this.setMeta(abs, uid, gid, mode);
        await utimes(abs, mtime, mtime);
        return;
      }
      case 'symlink': {
        stream.resume();
        await state.clear(path);
        state.known.set(path, 'other');
        await symlink(header.linkname ?? '', abs);
        await lchown(abs, uid, gid);
        await lutimes(abs, mtime, mtime);
        return;
      }
      case 'link': {
        stream.resume();
        const target = normalizeEntryPath(header.linkname ?? '');
        if (state.known.get(target) !== 'other') {
          throw new LayerUnpackError(`hard link "${path}" points at "${header.linkname}", which is not a file earlier in this layer`, { entry: path });
        }
        await state.clear(path);
        state.known.set(path, 'other');
        await link(state.abs(target), abs);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        stream.resume();
        await state.clear(path);
        state.known.set(path, 'other');
        const args = type === 'fifo' ? [abs, 'p'] : [abs, type === 'character-device' ? 'c' : 'b', String(header.devmajor ?? 0), String(header.devminor ?? 0)];
        await this.runner.check('mknod', ['-m', '0600', ...args]);
        await this.setMeta(abs, uid, gid, mode);
        await utimes(abs, mtime, mtime);
        return;
      }
      default:
        // pax/gnu metadata entries are consumed by tar-stream; anything else is not a file system object.
        stream.resume();
    }
  }

  /** chown first: it clears setuid/setgid, which chmod then sets. */
  private async setMeta(abs: string, uid: number, gid: number, mode: number): Promise<void> {
    await chown(abs, uid, gid);
    await chmod(abs, mode);
  }
}

/** What one unpack has created so far: the tree is new, so this map is the whole truth about it. */
class UnpackState {
  readonly known = new Map<string, Known>([['', 'dir']]);
  readonly dirTimes = new Map<string, Date>();
  readonly xattrs: XattrSetting[] = [];
  contentBytes = 0;
  entries = 0;

  constructor(private readonly root: string) {}

  abs(path: string): string {
    return path === '' ? this.root : join(this.root, path);
  }

  /** Creates missing parents (0755 root:root); refuses a parent that is not a directory. */
  async ensureParents(path: string): Promise<void> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = this.known.get(parent);
      if (kind === 'dir') continue;
      if (kind === 'other') throw new LayerUnpackError(`layer entry "${path}" lies under "${parent}", which is not a directory`, { entry: path });
      await mkdir(this.abs(parent), { mode: 0o755 });
      this.known.set(parent, 'dir');
    }
  }

  /** Removes what an earlier entry of this layer put at `path` (a later entry replaces it). */
  async clear(path: string): Promise<void> {
    if (!this.known.has(path)) return;
    await rm(this.abs(path), { recursive: true, force: true });
    const prefix = `${path}/`;
    for (const key of [...this.known.keys()]) if (key === path || key.startsWith(prefix)) this.known.delete(key);
    for (const key of [...this.dirTimes.keys()]) if (key === path || key.startsWith(prefix)) this.dirTimes.delete(key);
  }
}
