import { makeTempDir, TempDir } from '@silo/testing';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { DiffIdMismatch, LayerUnpackError, UnsupportedLayerFormat } from './errors/snapshot-errors';
import { LayerUnpacker } from './layer-unpacker';
import { SnapshotStore } from './snapshot-store';
import { OverlayWhiteouts } from './whiteouts';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; content?: string; mode?: number; uid?: number; gid?: number; mtime?: Date; linkname?: string };

const MTIME = new Date('2020-02-02T02:02:02Z');

/** A tar exactly as given (no normalization): to test what the unpacker does with any input. */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? MTIME, linkname: e.linkname, size: content?.length ?? 0 };
      p.entry(header, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const xattr = (path: string, name: string) => {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', name, path], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return undefined;
  }
};

describe('LayerUnpacker (real files, as root)', () => {
  let dir: TempDir;
  let unpacker: LayerUnpacker;
  let n = 0;

  beforeEach(async () => {
    dir = await makeTempDir('silo-unpack-');
    unpacker = new LayerUnpacker(new OverlayWhiteouts(join(dir.path, 'snapshots')));
  });
  afterEach(() => dir.cleanup());

  async function unpack(blob: Buffer, expectedDiffId?: string) {
    const file = join(dir.path, `blob-${++n}`);
    writeFileSync(file, blob);
    const dest = join(dir.path, `fs-${n}`);
    await mkdir(dest);
    const result = await unpacker.unpack(file, dest, { expectedDiffId });
    return { dest, result };
  }

  it('restores owners, modes (setuid too), mtimes, symlinks, hard links and implicit parents; verifies the diffID', async () => {
    const tar = await tarOf([
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'usr/bin/tool', content: 'suid', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'home/app/', type: 'directory', mode: 0o750, uid: 1000, gid: 1001 },
      { name: 'home/app/data.txt', content: 'hello', mode: 0o640, uid: 1000, gid: 1001 },
      { name: 'home/app/link', type: 'symlink', linkname: '../../usr/bin/tool', uid: 1000, gid: 1001 },
      { name: 'home/app/hard', type: 'link', linkname: 'home/app/data.txt' },
      { name: 'run/pipe', type: 'fifo', mode: 0o600 },
    ]);
    const { dest, result } = await unpack(gzipSync(tar), sha(tar));
    expect(result.diffId).toBe(sha(tar));
    expect(result.tarBytes).toBe(tar.length);
    const tool = statSync(join(dest, 'usr/bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect(statSync(join(dest, 'usr')).mode & 0o7777).toBe(0o755); // implicit parent
    const home = statSync(join(dest, 'home/app'));
    expect([home.uid, home.gid, home.mode & 0o7777]).toEqual([1000, 1001, 0o750]);
    expect(home.mtime.getTime()).toBe(MTIME.getTime()); // set after its children were created
    const data = statSync(join(dest, 'home/app/data.txt'));
    expect([data.uid, data.gid, data.mode & 0o7777, data.mtime.getTime()]).toEqual([1000, 1001, 0o640, MTIME.getTime()]);
    expect(readlinkSync(join(dest, 'home/app/link'))).toBe('../../usr/bin/tool');
    expect(lstatSync(join(dest, 'home/app/link')).uid).toBe(1000);
    expect(statSync(join(dest, 'home/app/hard')).ino).toBe(data.ino);
    expect(lstatSync(join(dest, 'run/pipe')).isFIFO()).toBe(true);
  });

  it('turns .wh.NAME into a 0/0 character device and .wh..wh..opq into trusted.overlay.opaque=y', async () => {
    const tar = await tarOf([
      { name: 'etc/.wh.passwd' },
      { name: 'var/cache/', type: 'directory' },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', content: 'n' },
      { name: '.wh.gone-dir' },
      { name: 'x/.wh..wh.plnk' },
    ]);
    const { dest } = await unpack(tar);
    for (const p of ['etc/passwd', 'gone-dir']) {
      const st = lstatSync(join(dest, p));
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.rdev).toBe(0);
    }
    expect(existsSync(join(dest, 'etc/.wh.passwd'))).toBe(false);
    expect(xattr(join(dest, 'var/cache'), 'trusted.overlay.opaque')).toBe('y');
    expect(readdirSync(join(dest, 'var/cache'))).toEqual(['new']);
    expect(xattr(join(dest, 'etc'), 'trusted.overlay.opaque')).toBeUndefined();
    expect(readdirSync(join(dest, 'x'))).toEqual([]);
  });

  it('refuses entries that leave the layer: "..", and paths through a symlink', async () => {
    await expect(unpack(await tarOf([{ name: '../escape', content: 'x' }]))).rejects.toThrow(LayerUnpackError);
    const viaLink = await tarOf([
      { name: 'evil', type: 'symlink', linkname: dir.path },
      { name: 'evil/planted', content: 'x' },
    ]);
    await expect(unpack(viaLink)).rejects.toThrow(/not a directory/);
    expect(existsSync(join(dir.path, 'planted'))).toBe(false);
    const badLink = await tarOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]);
    await expect(unpack(badLink)).rejects.toThrow(/hard link/);
  });

  it('rejects content that does not match the diffID, and zstd layers with a clear reason', async () => {
    const tar = await tarOf([{ name: 'a', content: 'a' }]);
    await expect(unpack(tar, sha(Buffer.from('other')))).rejects.toThrow(DiffIdMismatch);
    await expect(unpack(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]))).rejects.toThrow(UnsupportedLayerFormat);
    await expect(unpack(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).rejects.toThrow(/zstd/);
  });

  it('SnapshotStore: unpacks a layer once for concurrent callers, and leaves nothing when the diffID is wrong', async () => {
    const root = join(dir.path, 'snapshots');
    const store = new SnapshotStore(root, unpacker);
    await store.init();
    const tar = await tarOf([{ name: 'bin/x', content: 'x', mode: 0o755 }]);
    const file = join(dir.path, 'layer.tar');
    writeFileSync(file, tar);
    let opened = 0;
    const blob = async () => (opened++, file);
    const layer = { chainId: sha(tar), diffId: sha(tar) };
    const [a, b] = await Promise.all([store.ensure(layer, blob), store.ensure(layer, blob)]);
    expect(opened).toBe(1);
    expect(a).toEqual(b);
    expect(a.contentBytes).toBe(1);
    expect(readFileSync(join(store.fsDir(layer.chainId), 'bin/x'), 'utf8')).toBe('x');
    await store.ensure(layer, blob);
    expect(opened).toBe(1);
    const wrong = { chainId: sha(Buffer.from('w')), diffId: sha(Buffer.from('w')) };
    await expect(store.ensure(wrong, blob)).rejects.toThrow(DiffIdMismatch);
    expect(await store.has(wrong.chainId)).toBe(false);
    expect(readdirSync(root).filter((x) => !x.startsWith('.whiteout-'))).toEqual([layer.chainId.slice(7)]);
    expect((await store.list()).map((s) => s.chainId)).toEqual([layer.chainId]);
    await store.remove(layer.chainId);
    expect(await store.list()).toEqual([]);
  });
});
