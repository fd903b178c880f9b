import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from './chain-id';
import { Clock } from './clock';
import { LayerUnpacker, UnpackOptions } from './layer-unpacker';

/** One unpacked layer: `<root>/<chainID hex>/fs`, plus its record `snapshot.json`. */
export interface SnapshotInfo {
  chainId: string;
  diffId: string;
  /** The chainID below it (absent for a bottom layer). */
  parent?: string;
  /** Bytes of file content in the snapshot (regular files). */
  contentBytes: number;
  /** Size of the layer's uncompressed tar. */
  tarBytes: number;
  createdAt: string;
}

/**
 * Read-only layer snapshots keyed by chainID, each unpacked once: into a temp directory that is
 * renamed into place only when complete and verified, so a half-unpacked layer is never visible
 * (a crash leaves only a `.tmp-*` dir, removed at the next start). Concurrent requests for one
 * snapshot share a single unpack.
 */
export class SnapshotStore {
  private readonly inflight = new Map<string, Promise<SnapshotInfo>>();

  constructor(
    /** `<agentHome>/snapshots`. */
    readonly root: string,
    private readonly unpacker: LayerUnpacker,
    private readonly clock = new Clock(),
  ) {}

  /** Creates the root and removes leftovers of interrupted unpacks and removals. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.tmp-') || name.startsWith('.trash-')) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  dirOf(chainId: string): string {
    return join(this.root, digestHex(chainId));
  }

  /** The directory overlayfs uses as this layer's lowerdir. */
  fsDir(chainId: string): string {
    return join(this.dirOf(chainId), 'fs');
  }

  async get(chainId: string): Promise<SnapshotInfo | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dirOf(chainId), 'snapshot.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(chainId: string): Promise<boolean> {
    return (await this.get(chainId)) !== undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const info = await this.get(`sha256:${name}`).catch(() => undefined);
      if (info) out.push(info);
    }
    return out;
  }

  /**
   * The snapshot for `chainId`, unpacking `blobPath` when it is not there yet (once, however many
   * callers ask at the same time). `blob` is only called when an unpack is needed.
   */
  async ensure(
    layer: { chainId: string; diffId: string; parent?: string },
    blob: () => Promise<string>,
    options: Pick<UnpackOptions, 'onProgress'> = {},
  ): Promise<SnapshotInfo> {
    const existing = await this.get(layer.chainId);
    if (existing) return existing;
    let running = this.inflight.get(layer.chainId);
    if (!running) {
      running = this.create(layer, blob, options).finally(() => this.inflight.delete(layer.chainId));
      this.inflight.set(layer.chainId, running);
    }
    return running;
  }

  /** Removes a snapshot (renamed away first, so it vanishes at once). No check of users: the GC decides. */
  async remove(chainId: string): Promise<void> {
    const dir = this.dirOf(chainId);
    const trash = join(this.root, `.trash-${randomUUID()}`);
    try {
      await rename(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private async create(layer: { chainId: string; diffId: string; parent?: string }, blob: () => Promise<string>, options: Pick<UnpackOptions, 'onProgress'>): Promise<SnapshotInfo> {
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    const tmp = join(this.root, `.tmp-${randomUUID()}`);
    const fs = join(tmp, 'fs');
    try {
      await mkdir(fs, { recursive: true, mode: 0o755 });
      const blobPath = await blob();
      const result = await this.unpacker.unpack(blobPath, fs, { expectedDiffId: layer.diffId, onProgress: options.onProgress });
      const info: SnapshotInfo = {
        chainId: layer.chainId,
        diffId: result.diffId,
        ...(layer.parent ? { parent: layer.parent } : {}),
        contentBytes: result.contentBytes,
        tarBytes: result.tarBytes,
        createdAt: new Date(this.clock.now()).toISOString(),
      };
      await writeFile(join(tmp, 'snapshot.json'), `${JSON.stringify(info)}\n`);
      try {
        await rename(tmp, this.dirOf(layer.chainId));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another process unpacked it meanwhile: theirs is as good as ours.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(tmp, { recursive: true, force: true });
        return (await this.get(layer.chainId)) ?? info;
      }
      return info;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
}
