import type { NetworkMode } from '@silo/contracts';

/**
 * What the task supervisor needs from the rest of the agent, as small abstract classes (Nest
 * injection tokens) so the supervisor's logic runs in unit tests against fakes.
 */

/** The parts of an image config a container is made from. */
export interface ImageInfo {
  reference: string;
  /** The manifest digest (for a multi-arch index: the chosen platform's manifest). */
  digest: string;
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  /** Layer digests, base first (image locality). */
  layers: string[];
}

export interface ImagePullOptions {
  auth?: { username: string; password: string };
  policy: 'if-not-present' | 'always';
  onProgress?: (progress: { layer: string; phase: 'downloading' | 'unpacking' | 'done'; bytes: number; total: number }) => void;
}

export abstract class ImageProvider {
  abstract ensure(reference: string, options: ImagePullOptions): Promise<ImageInfo>;
}

export interface RootfsOptions {
  /** hardened: the container's uid/gid 0 is this host id; the root must show files with their right owners. */
  idmap?: { hostId: number; size: number };
}

export abstract class RootfsProvider {
  /** Mounts the container's root (shared read-only layers + its own upper dir) at TARGET. Idempotent. */
  abstract prepare(containerId: string, image: ImageInfo, target: string, options: RootfsOptions): Promise<void>;
  /** Unmounts and deletes the container's own layer. Idempotent. */
  abstract remove(containerId: string): Promise<void>;
  /** Where the container's writes land (tests look there). */
  abstract upperDir(containerId: string): string;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  shareGroup?: string;
}

export interface ContainerNetwork {
  mode: NetworkMode;
  netnsPath?: string;
  ip?: string;
  gateway?: string;
}

export abstract class NetworkProvider {
  abstract setup(containerId: string, mode: NetworkMode, ports: PortMapping[]): Promise<ContainerNetwork>;
  abstract teardown(containerId: string): Promise<void>;
  /** After a restart: keep LIVE containers' networking, release the rest. */
  abstract restore(liveContainerIds: string[]): Promise<void>;
  /** The agent stops with no container left: remove the bridge and the chains (set up again on first use). */
  abstract release(): Promise<void>;
}

/** The images and layers present on this node (the heartbeat's image locality). */
export abstract class ImageInventory {
  abstract inventory(): Promise<{ reference: string; digest: string; layers: string[]; sizeBytes: number }[]>;
}
