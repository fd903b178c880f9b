import { join } from 'node:path';
import { Clock } from '../snapshots/clock';
import { CommandRunner } from '../snapshots/command-runner';
import { LayerUnpacker } from '../snapshots/layer-unpacker';
import { Mounter, SystemMounter } from '../snapshots/mounter';
import { OverlaySnapshotter } from '../snapshots/overlay-snapshotter';
import { SnapshotLeases } from '../snapshots/snapshot-leases';
import { SnapshotStore } from '../snapshots/snapshot-store';
import { OverlayWhiteouts, XattrWriter } from '../snapshots/whiteouts';
import { DiskSpace } from './disk-space';
import { DEFAULT_GC_POLICY, GcPolicy, ImageGarbageCollector } from './image-gc';
import { ImagePuller, ImagePullerConfig } from './image-puller';
import { ImageStore } from './image-store';
import { HttpTransport } from './http-transport';
import { LayerDownloader } from './layer-downloader';
import { RegistryAuthenticator } from './registry-auth';
import { RegistryClient } from './registry-client';

export interface ImageComponentsConfig extends ImagePullerConfig {
  /** `$SILO_HOME/node-agent`: images/, snapshots/ and containers/<id>/{upper,work} live here. */
  agentHome: string;
  gc?: GcPolicy;
}

/** Seams to replace in tests (all optional). */
export interface ImageComponentsDeps {
  http?: HttpTransport;
  clock?: Clock;
  runner?: CommandRunner;
  mounter?: Mounter;
  disk?: DiskSpace;
}

export interface ImageComponents {
  puller: ImagePuller;
  store: ImageStore;
  snapshots: SnapshotStore;
  snapshotter: OverlaySnapshotter;
  gc: ImageGarbageCollector;
  leases: SnapshotLeases;
  /** Creates the directories, removes leftovers of interrupted work, checks mknod and setfattr. */
  init(): Promise<void>;
}

/** Everything the agent needs for images and container roots, wired together. */
export function createImageComponents(config: ImageComponentsConfig, deps: ImageComponentsDeps = {}): ImageComponents {
  const clock = deps.clock ?? new Clock();
  const runner = deps.runner ?? new CommandRunner();
  const http = deps.http ?? new HttpTransport();
  const leases = new SnapshotLeases();
  const whiteouts = new OverlayWhiteouts(join(config.agentHome, 'snapshots'), runner);
  const xattrs = new XattrWriter(runner);
  const snapshots = new SnapshotStore(join(config.agentHome, 'snapshots'), new LayerUnpacker(whiteouts, xattrs, runner), clock);
  const store = new ImageStore(join(config.agentHome, 'images'), clock);
  const client = new RegistryClient(http, new RegistryAuthenticator(http, clock));
  const downloader = new LayerDownloader(join(config.agentHome, 'images', 'blobs'), client);
  const puller = new ImagePuller(config, client, store, snapshots, downloader, leases, clock);
  const snapshotter = new OverlaySnapshotter(config.agentHome, snapshots, deps.mounter ?? new SystemMounter(runner), clock);
  const gc = new ImageGarbageCollector(store, snapshots, snapshotter, leases, config.gc ?? DEFAULT_GC_POLICY, deps.disk ?? new DiskSpace(), clock);
  return {
    puller,
    store,
    snapshots,
    snapshotter,
    gc,
    leases,
    async init() {
      await snapshots.init();
      await store.init();
      await downloader.init();
      await whiteouts.check();
      await xattrs.check();
    },
  };
}
