import { makeTempDir, TempDir } from '@silo/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandResult, CommandRunner, RunOptions } from './command-runner';
import { MountError, SnapshotMissing } from './errors/snapshot-errors';
import { IdmappedLowerDirs } from './idmapped-lower-dirs';
import { LayerUnpacker } from './layer-unpacker';
import { Mounter, OverlayMount, overlayOptions, parseMountInfo } from './mounter';
import { OverlaySnapshotter } from './overlay-snapshotter';
import { SnapshotStore } from './snapshot-store';
import { OverlayWhiteouts } from './whiteouts';

class FakeMounter implements Mounter {
  readonly mounted = new Map<string, OverlayMount | 'bind'>();
  async mountOverlay(target: string, overlay: OverlayMount): Promise<void> {
    overlayOptions(overlay);
    this.mounted.set(target, overlay);
  }
  async unmount(target: string): Promise<void> {
    this.mounted.delete(target);
  }
  async isMounted(target: string): Promise<boolean> {
    return this.mounted.has(target);
  }
}

class FakeRunner extends CommandRunner {
  readonly calls: string[][] = [];
  constructor(private readonly onRun: (args: string[]) => void = () => undefined) {
    super();
  }
  override async run(command: string, args: string[], _options?: RunOptions): Promise<CommandResult> {
    this.calls.push([command, ...args]);
    this.onRun(args);
    return { code: 0, stdout: '', stderr: '' };
  }
}

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('OverlaySnapshotter (fake mounts)', () => {
  let dir: TempDir;
  let mounter: FakeMounter;
  let snapshotter: OverlaySnapshotter;
  let home: string;
  const layers = [{ chainId: sha('base') }, { chainId: sha('top') }];
  const image = { manifestDigest: sha('manifest'), layers };

  beforeEach(async () => {
    dir = await makeTempDir('silo-snapshotter-');
    home = join(dir.path, 'agent');
    const store = new SnapshotStore(join(home, 'snapshots'), new LayerUnpacker(new OverlayWhiteouts(join(home, 'snapshots'))));
    await store.init();
    for (const l of layers) {
      mkdirSync(store.fsDir(l.chainId), { recursive: true });
      writeFileSync(join(store.dirOf(l.chainId), 'snapshot.json'), JSON.stringify({ chainId: l.chainId, diffId: l.chainId, contentBytes: 0, tarBytes: 0, createdAt: '' }));
    }
    mounter = new FakeMounter();
    snapshotter = new OverlaySnapshotter(home, store, mounter);
  });
  afterEach(() => dir.cleanup());

  it('stacks the layers top first, relative to the snapshot root, with the container own upper and work', async () => {
    const target = join(dir.path, 'root');
    const root = await snapshotter.prepare('c1', image, target);
    const mount = mounter.mounted.get(target) as OverlayMount;
    expect(mount.cwd).toBe(join(home, 'snapshots'));
    expect(mount.lowerDirs).toEqual([`${layers[1]!.chainId.slice(7)}/fs`, `${layers[0]!.chainId.slice(7)}/fs`]);
    expect(mount.upperDir).toBe(join(home, 'containers/c1/upper'));
    expect(mount.workDir).toBe(join(home, 'containers/c1/work'));
    expect(root.chainIds).toEqual(layers.map((l) => l.chainId));
    expect(await snapshotter.list()).toEqual([root]);
  });

  it('refuses an image whose snapshots are missing, a bad id, a relative target, and a second image on one container', async () => {
    await expect(snapshotter.prepare('c1', { ...image, layers: [{ chainId: sha('absent') }] }, join(dir.path, 'r'))).rejects.toThrow(SnapshotMissing);
    await expect(snapshotter.prepare('../x', image, join(dir.path, 'r'))).rejects.toThrow(/invalid container id/);
    await expect(snapshotter.prepare('c1', image, 'relative')).rejects.toThrow(MountError);
    await snapshotter.prepare('c1', image, join(dir.path, 'r'));
    await expect(snapshotter.prepare('c1', { ...image, manifestDigest: sha('other') }, join(dir.path, 'r'))).rejects.toThrow(/already has a root/);
  });

  it('remounts a prepared root that is no longer mounted (reboot), keeping its upper dir', async () => {
    const target = join(dir.path, 'root');
    await snapshotter.prepare('c1', image, target);
    writeFileSync(join(home, 'containers/c1/upper/kept'), 'x');
    mounter.mounted.clear();
    await snapshotter.prepare('c1', image, target);
    expect(mounter.mounted.has(target)).toBe(true);
    expect(existsSync(join(home, 'containers/c1/upper/kept'))).toBe(true);
  });

  it('hardened seam: transformed lower dirs (idmap-mount per layer) and upper/work owned by the mapped root; remove releases them', async () => {
    const runner = new FakeRunner((args) => mounter.mounted.set(args[args.length - 1]!, 'bind'));
    const transform = new IdmappedLowerDirs('/opt/silo-runtime', home, { hostId: 200_000, size: 65_536 }, runner, mounter);
    const target = join(dir.path, 'root');
    await snapshotter.prepare('c1', image, target, { lowerDirTransform: transform, owner: { uid: 200_000, gid: 200_000 } });
    expect(runner.calls[0]).toEqual([
      '/opt/silo-runtime',
      'idmap-mount',
      '--uid-map',
      '0:200000:65536',
      '--gid-map',
      '0:200000:65536',
      '--read-only',
      join(home, 'snapshots', layers[1]!.chainId.slice(7), 'fs'),
      join(home, 'containers/c1/lower/0'),
    ]);
    expect((mounter.mounted.get(target) as OverlayMount).lowerDirs).toEqual(['../containers/c1/lower/0', '../containers/c1/lower/1']);
    expect(statSync(join(home, 'containers/c1/upper')).uid).toBe(200_000);
    expect(statSync(join(home, 'containers/c1/work')).gid).toBe(200_000);
    await snapshotter.remove('c1');
    expect([...mounter.mounted.keys()]).toEqual([]);
    expect(existsSync(join(home, 'containers/c1'))).toBe(false);
  });
});

describe('mount helpers', () => {
  it('reads mountinfo with escaped paths', () => {
    const line = '36 35 0:40 / /var/lib/with\\040space rw,relatime shared:1 - overlay overlay rw,lowerdir=a,upperdir=b,workdir=c';
    expect(parseMountInfo(line)).toEqual([{ mountPoint: '/var/lib/with space', fsType: 'overlay', source: 'overlay', options: 'rw,lowerdir=a,upperdir=b,workdir=c' }]);
  });

  it('refuses overlay options mount(2) cannot carry', () => {
    expect(() => overlayOptions({ lowerDirs: ['a:b'], upperDir: 'u', workDir: 'w' })).toThrow(/cannot carry/);
    expect(() => overlayOptions({ lowerDirs: [], upperDir: 'u', workDir: 'w' })).toThrow(/at least one/);
    const many = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(64, '0')}/fs`);
    expect(() => overlayOptions({ lowerDirs: many, upperDir: 'u', workDir: 'w' })).toThrow(/too many layers \(100\)/);
    expect(overlayOptions({ lowerDirs: many.slice(0, 50), upperDir: 'u', workDir: 'w' })).toMatch(/^lowerdir=/);
  });
});
