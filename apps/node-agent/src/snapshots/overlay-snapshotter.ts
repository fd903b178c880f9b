import { chown, mkdir, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { writeJsonAtomic } from '../host/atomic-json';
import { Clock } from './clock';
import { InvalidContainerId, MountError, SnapshotMissing } from './errors/snapshot-errors';
import { releaseLowerMounts } from './idmapped-lower-dirs';
import { Mounter, SystemMounter } from './mounter';
import { SnapshotStore } from './snapshot-store';

/** What the snapshotter needs of an image: its digest and its layers' chainIDs, bottom first. */
export interface RootfsImage {
  manifestDigest: string;
  layers: ReadonlyArray<{ chainId: string }>;
}

/**
 * The seam for hardened mode: turns the lower directories (top first) into the ones to mount,
 * e.g. id-mapped mounts of them (`silo-runtime idmap-mount`). `release` undoes what `apply` did.
 */
export interface LowerDirTransform {
  apply(containerId: string, lowerDirs: string[]): Promise<string[]>;
  release?(containerId: string): Promise<void>;
}

export interface PrepareOptions {
  lowerDirTransform?: LowerDirTransform;
  /** Host uid/gid that owns the container's upper and work dirs (hardened mode's mapped root). */
  owner?: { uid: number; gid: number };
}

export interface ContainerRoot {
  containerId: string;
  manifestDigest: string;
  chainIds: string[];
  target: string;
  upperDir: string;
  workDir: string;
  /** The lower dirs mounted, top first (after any transform). */
  lowerDirs: string[];
  preparedAt: string;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const RECORD = 'rootfs.json';

/**
 * Each container's root filesystem: an overlay whose lower dirs are the image's shared,
 * read-only layer snapshots (top first) and whose upper and work dirs are the container's own
 * (`<agentHome>/containers/<id>/upper|work`). Idempotent: preparing a prepared container returns
 * its root (remounting it if the host rebooted), removing a removed one does nothing.
 */
export class OverlaySnapshotter {
  constructor(
    private readonly agentHome: string,
    private readonly snapshots: SnapshotStore,
    private readonly mounter: Mounter = new SystemMounter(),
    private readonly clock = new Clock(),
  ) {}

  containerDir(containerId: string): string {
    if (!CONTAINER_ID.test(containerId)) throw new InvalidContainerId(containerId);
    return join(this.agentHome, 'containers', containerId);
  }

  async prepare(containerId: string, image: RootfsImage, target: string, options: PrepareOptions = {}): Promise<ContainerRoot> {
    const dir = this.containerDir(containerId);
    if (!isAbsolute(target)) throw new MountError(`the root's target must be an absolute path, got "${target}"`);
    const chainIds = image.layers.map((l) => l.chainId);
    if (chainIds.length === 0) throw new MountError(`image ${image.manifestDigest} has no layers to mount`);
    const existing = await this.get(containerId);
    if (existing) {
      if (existing.manifestDigest !== image.manifestDigest || existing.target !== target) {
        throw new MountError(`container ${containerId} already has a root from ${existing.manifestDigest} at ${existing.target}`, { containerId });
      }
      if (await this.mounter.isMounted(target)) return existing;
    }
    for (const chainId of chainIds) if (!(await this.snapshots.has(chainId))) throw new SnapshotMissing(chainId);
    const upperDir = join(dir, 'upper');
    const workDir = join(dir, 'work');
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await mkdir(upperDir, { recursive: true, mode: 0o755 });
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    if (options.owner) {
      await chown(upperDir, options.owner.uid, options.owner.gid);
      await chown(workDir, options.owner.uid, options.owner.gid);
    }
    await mkdir(target, { recursive: true, mode: 0o755 });
    const lowerAbs = [...chainIds].reverse().map((c) => this.snapshots.fsDir(c));
    const lowerDirs = options.lowerDirTransform ? await options.lowerDirTransform.apply(containerId, lowerAbs) : lowerAbs;
    const record: ContainerRoot = {
      containerId,
      manifestDigest: image.manifestDigest,
      chainIds,
      target,
      upperDir,
      workDir,
      lowerDirs,
      preparedAt: existing?.preparedAt ?? new Date(this.clock.now()).toISOString(),
    };
    // Recorded before mounting: a crash in between leaves a record that remove() cleans up.
    await writeJsonAtomic(join(dir, RECORD), record);
    // Relative to the snapshot root where shorter: many layers still fit in one page of options.
    const cwd = this.snapshots.root;
    const shortLowers = lowerDirs.map((d) => {
      const rel = relative(cwd, d);
      return rel.length < d.length ? rel : d;
    });
    try {
      await this.mounter.mountOverlay(target, { lowerDirs: shortLowers, upperDir, workDir, cwd });
    } catch (err) {
      await options.lowerDirTransform?.release?.(containerId).catch(() => undefined);
      throw err;
    }
    return record;
  }

  /** Unmounts the container's root (lazily when busy) and deletes its upper and work dirs. */
  async remove(containerId: string, options: { lowerDirTransform?: LowerDirTransform } = {}): Promise<void> {
    const dir = this.containerDir(containerId);
    const record = await this.get(containerId);
    if (record) await this.mounter.unmount(record.target);
    await options.lowerDirTransform?.release?.(containerId);
    // Lower dirs a transform mounted under the container's dir (idmapped mounts), even without it.
    await releaseLowerMounts(join(dir, 'lower'), this.mounter);
    for (const name of ['upper', 'work']) await rm(join(dir, name), { recursive: true, force: true });
    await rm(join(dir, RECORD), { force: true });
    // The rest of the container's directory belongs to others (bundle, logs): only an empty one goes.
    await rmdir(dir).catch(() => undefined);
  }

  async get(containerId: string): Promise<ContainerRoot | undefined> {
    try {
      return JSON.parse(await readFile(join(this.containerDir(containerId), RECORD), 'utf8')) as ContainerRoot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every container root prepared and not removed (the GC's "in use"). */
  async list(): Promise<ContainerRoot[]> {
    let names: string[];
    try {
      names = await readdir(join(this.agentHome, 'containers'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: ContainerRoot[] = [];
    for (const name of names) {
      if (!CONTAINER_ID.test(name)) continue;
      const root = await this.get(name).catch(() => undefined);
      if (root) out.push(root);
    }
    return out;
  }
}
