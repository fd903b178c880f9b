import { SnapshotMissing } from '../snapshots/errors/snapshot-errors';
import { IdmappedLowerDirs } from '../snapshots/idmapped-lower-dirs';
import { OverlaySnapshotter } from '../snapshots/overlay-snapshotter';
import type { ImageInfo, ImageInventory, ImagePullOptions, ImageProvider, RootfsOptions, RootfsProvider } from '../tasks/task-ports';
import { ImagePuller } from './image-puller';
import { ImageRecord, ImageStore } from './image-store';

/** An image record as the task supervisor sees it. */
export function toImageInfo(record: ImageRecord, reference: string): ImageInfo {
  const c = record.config;
  return {
    reference,
    digest: record.manifestDigest,
    entrypoint: c.entrypoint,
    cmd: c.cmd,
    env: c.env,
    workingDir: c.workingDir,
    user: c.user,
    exposedPorts: c.exposedPorts,
    layers: record.layers.map((l) => l.digest),
  };
}

/** The task supervisor's ImageProvider and the heartbeat's ImageInventory, over the puller and the store. */
export class AgentImages implements ImageProvider, ImageInventory {
  constructor(
    private readonly puller: ImagePuller,
    private readonly store: ImageStore,
  ) {}

  /** Throws an ImagePullError (its `reason` is the `failed(reason)` text) when the pull fails. */
  async ensure(reference: string, options: ImagePullOptions): Promise<ImageInfo> {
    const result = await this.puller.pull(reference, {
      policy: options.policy,
      ...(options.auth ? { credentials: options.auth } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return toImageInfo(result.image, result.reference);
  }

  async inventory(): Promise<{ reference: string; digest: string; layers: string[]; sizeBytes: number }[]> {
    const records = await this.store.list();
    return records.map((r) => ({
      reference: r.references.find((ref) => !ref.includes('@')) ?? r.references[0] ?? `${r.registry}/${r.repository}@${r.manifestDigest}`,
      digest: r.manifestDigest,
      layers: r.layers.map((l) => l.digest),
      sizeBytes: r.sizeBytes,
    }));
  }
}

/**
 * The task supervisor's RootfsProvider over the overlay snapshotter. Hardened containers
 * (`idmap`) get id-mapped lower dirs (`silo-runtime idmap-mount`) and upper/work dirs owned by
 * the mapped root.
 */
export class AgentRootfs implements RootfsProvider {
  constructor(
    private readonly snapshotter: OverlaySnapshotter,
    private readonly store: ImageStore,
    private readonly agentHome: string,
    /** silo-runtime, for idmap-mount. */
    private readonly runtimeBinary: string,
  ) {}

  async prepare(containerId: string, image: ImageInfo, target: string, options: RootfsOptions): Promise<void> {
    const record = await this.store.get(image.digest);
    if (!record) throw new SnapshotMissing(image.digest);
    const idmap = options.idmap;
    await this.snapshotter.prepare(containerId, record, target, {
      ...(idmap
        ? {
            lowerDirTransform: new IdmappedLowerDirs(this.runtimeBinary, this.agentHome, { hostId: idmap.hostId, size: idmap.size }),
            owner: { uid: idmap.hostId, gid: idmap.hostId },
          }
        : {}),
    });
    await this.store.touch(record.manifestDigest);
  }

  async remove(containerId: string): Promise<void> {
    await this.snapshotter.remove(containerId);
  }

  upperDir(containerId: string): string {
    return `${this.snapshotter.containerDir(containerId)}/upper`;
  }
}
