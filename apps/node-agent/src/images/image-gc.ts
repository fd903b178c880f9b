import { Clock } from '../snapshots/clock';
import { OverlaySnapshotter } from '../snapshots/overlay-snapshotter';
import { SnapshotLeases } from '../snapshots/snapshot-leases';
import { SnapshotStore } from '../snapshots/snapshot-store';
import { DiskSpace } from './disk-space';
import { ImageStore } from './image-store';

export interface GcPolicy {
  /** Images not used for this long (and snapshots no image needs, this old) are removed. */
  unusedForMs: number;
  /** When the agent's filesystem has less free space than this, unused images go, oldest first. */
  minFreeBytes: number;
}

export const DEFAULT_GC_POLICY: GcPolicy = { unusedForMs: 60 * 60_000, minFreeBytes: 2 * 1024 ** 3 };

export interface GcState {
  now: number;
  freeBytes: number;
  images: ReadonlyArray<{ manifestDigest: string; lastUsedAt: number; chainIds: readonly string[] }>;
  snapshots: ReadonlyArray<{ chainId: string; createdAt: number; bytes: number }>;
  /** Images a container uses (or is about to): never removed, nor their snapshots. */
  inUseImages: ReadonlySet<string>;
  /** Snapshots a mounted container or a running pull holds: never removed. */
  inUseChainIds: ReadonlySet<string>;
}

export type GcReason = 'unused' | 'orphan' | 'disk-pressure';

export interface GcDecision {
  removeImages: Array<{ manifestDigest: string; reason: GcReason }>;
  removeSnapshots: Array<{ chainId: string; reason: GcReason; bytes: number }>;
  freedBytes: number;
}

/**
 * What to remove, decided from a snapshot of the state (pure: no I/O, no clock).
 * 1. Images not in use and unused for `unusedForMs`.
 * 2. Snapshots no remaining image needs and nothing holds, once they are that old too.
 * 3. Under disk pressure (free < minFreeBytes): younger such snapshots, then unused images
 *    oldest first with the snapshots only they needed, until enough would be free.
 */
export function decideGc(state: GcState, policy: GcPolicy): GcDecision {
  const protectedChains = new Set(state.inUseChainIds);
  for (const image of state.images) if (state.inUseImages.has(image.manifestDigest)) image.chainIds.forEach((c) => protectedChains.add(c));
  const removeImages: GcDecision['removeImages'] = [];
  const remaining = new Map(state.images.map((i) => [i.manifestDigest, i]));
  for (const image of state.images) {
    if (!state.inUseImages.has(image.manifestDigest) && state.now - image.lastUsedAt >= policy.unusedForMs) {
      removeImages.push({ manifestDigest: image.manifestDigest, reason: 'unused' });
      remaining.delete(image.manifestDigest);
    }
  }
  const needed = () => {
    const set = new Set(protectedChains);
    for (const image of remaining.values()) image.chainIds.forEach((c) => set.add(c));
    return set;
  };
  const removeSnapshots: GcDecision['removeSnapshots'] = [];
  const removed = new Set<string>();
  let freed = 0;
  const drop = (s: GcState['snapshots'][number], reason: GcReason) => {
    removeSnapshots.push({ chainId: s.chainId, reason, bytes: s.bytes });
    removed.add(s.chainId);
    freed += s.bytes;
  };
  const byAge = [...state.snapshots].sort((a, b) => a.createdAt - b.createdAt);
  let keep = needed();
  for (const s of byAge) if (!keep.has(s.chainId) && state.now - s.createdAt >= policy.unusedForMs) drop(s, 'orphan');
  const pressured = () => state.freeBytes + freed < policy.minFreeBytes;
  if (pressured()) {
    for (const s of byAge) if (pressured() && !keep.has(s.chainId) && !removed.has(s.chainId)) drop(s, 'disk-pressure');
    const candidates = [...remaining.values()].filter((i) => !state.inUseImages.has(i.manifestDigest)).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    for (const image of candidates) {
      if (!pressured()) break;
      removeImages.push({ manifestDigest: image.manifestDigest, reason: 'disk-pressure' });
      remaining.delete(image.manifestDigest);
      keep = needed();
      for (const s of byAge) if (!keep.has(s.chainId) && !removed.has(s.chainId)) drop(s, 'disk-pressure');
    }
  }
  return { removeImages, removeSnapshots, freedBytes: freed };
}

export interface ImageUsage {
  images: Array<{ manifestDigest: string; references: string[]; layers: string[]; sizeBytes: number; lastUsedAt: string }>;
  /** Layers present: chainID, diffID, the blob digests images know it by, its bytes. */
  layers: Array<{ chainId: string; diffId: string; digests: string[]; bytes: number }>;
  totalBytes: number;
}

/**
 * Removes unused images and snapshots (see decideGc), never one a container or a running pull
 * uses. `keepImages` lets the agent protect images of tasks it is about to start.
 */
export class ImageGarbageCollector {
  constructor(
    private readonly store: ImageStore,
    private readonly snapshots: SnapshotStore,
    private readonly roots: OverlaySnapshotter,
    private readonly leases: SnapshotLeases,
    private readonly policy: GcPolicy = DEFAULT_GC_POLICY,
    private readonly disk = new DiskSpace(),
    private readonly clock = new Clock(),
  ) {}

  async plan(options: { keepImages?: Iterable<string> } = {}): Promise<GcDecision> {
    const [images, snapshots, roots, disk] = await Promise.all([this.store.list(), this.snapshots.list(), this.roots.list(), this.disk.free(this.snapshots.root)]);
    const inUseImages = new Set([...(options.keepImages ?? []), ...roots.map((r) => r.manifestDigest)]);
    const leased = this.leases.keys();
    for (const digest of leased) inUseImages.add(digest);
    const inUseChainIds = new Set([...leased, ...roots.flatMap((r) => r.chainIds)]);
    return decideGc(
      {
        now: this.clock.now(),
        freeBytes: disk.freeBytes,
        images: images.map((i) => ({ manifestDigest: i.manifestDigest, lastUsedAt: Date.parse(i.lastUsedAt), chainIds: i.layers.map((l) => l.chainId) })),
        snapshots: snapshots.map((s) => ({ chainId: s.chainId, createdAt: Date.parse(s.createdAt), bytes: s.contentBytes })),
        inUseImages,
        inUseChainIds,
      },
      this.policy,
    );
  }

  async collect(options: { keepImages?: Iterable<string> } = {}): Promise<GcDecision> {
    const decision = await this.plan(options);
    for (const { manifestDigest } of decision.removeImages) {
      if (!this.leases.has(manifestDigest)) await this.store.remove(manifestDigest);
    }
    // Checked again right before each removal: a pull may have started meanwhile.
    const mounted = new Set((await this.roots.list()).flatMap((r) => r.chainIds));
    for (const { chainId } of decision.removeSnapshots) {
      if (!this.leases.has(chainId) && !mounted.has(chainId)) await this.snapshots.remove(chainId);
    }
    return decision;
  }

  async usage(): Promise<ImageUsage> {
    const [images, snapshots] = await Promise.all([this.store.list(), this.snapshots.list()]);
    const digests = new Map<string, Set<string>>();
    for (const image of images) for (const l of image.layers) (digests.get(l.chainId) ?? digests.set(l.chainId, new Set()).get(l.chainId)!).add(l.digest);
    const layers = snapshots.map((s) => ({ chainId: s.chainId, diffId: s.diffId, digests: [...(digests.get(s.chainId) ?? [])].sort(), bytes: s.contentBytes }));
    return {
      images: images.map((i) => ({ manifestDigest: i.manifestDigest, references: i.references, layers: i.layers.map((l) => l.digest), sizeBytes: i.sizeBytes, lastUsedAt: i.lastUsedAt })),
      layers,
      totalBytes: layers.reduce((a, l) => a + l.bytes, 0),
    };
  }
}
