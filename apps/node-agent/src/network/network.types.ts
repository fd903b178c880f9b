import type { NetworkMode } from '@silo/contracts';

export type { NetworkMode };

/** A published port: `hostPort:containerPort/protocol`, on every host address unless `hostIp` says one. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** Publish on this host address only (IPv4); default: all of them, 127.0.0.1 included. */
  hostIp?: string;
  /**
   * Containers with the same share group may publish the same host port: new connections are
   * spread over them (the replicas of one service on this node). Others still conflict.
   */
  shareGroup?: string;
}

/** What a container's network is, as `NetworkManager.setup` returns it. */
export interface ContainerNetwork {
  mode: NetworkMode;
  /**
   * bridge: the network namespace the runtime must join (`{"type":"network","path":…}` in the
   * bundle's config.json). none: undefined — the runtime creates a fresh namespace with only `lo`.
   * host: undefined — the container shares the host's namespace (no network namespace in the spec).
   */
  netnsPath?: string;
  /** bridge: the container's address on the bridge. */
  ip?: string;
  /** bridge: the subnet's prefix length, e.g. 24. */
  prefixLength?: number;
  /** bridge: the default gateway (the bridge's own address), also usable as the host's address. */
  gateway?: string;
  /** bridge: the ports published on the host. Empty for none/host (nothing is published there). */
  ports: PortMapping[];
}

/** One bridge container as the state file keeps it. */
export interface BridgeEndpoint {
  ip: string;
  /** The host end of the veth pair, a port of the bridge. */
  hostVeth: string;
  netnsPath: string;
  ports: PortMapping[];
  /** When the address was allocated (ISO 8601). */
  allocatedAt: string;
}

/** Everything the network manager must remember across agent restarts. */
export interface NetworkState {
  version: 1;
  bridge: string;
  subnet: string;
  /** The last address handed out: the next allocation searches after it (round-robin). */
  lastAllocated?: string;
  endpoints: Record<string, BridgeEndpoint>;
}

export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
}

/** A host port (and protocol, and address) that another container already publishes. */
export class PortConflictError extends NetworkError {
  override readonly name = 'PortConflictError';
  constructor(
    readonly port: PortMapping,
    /** The container that publishes it (the requesting one when it lists the port twice). */
    readonly owner: string,
    listedTwice = false,
  ) {
    const where = `host port ${port.hostIp ? `${port.hostIp}:` : ''}${port.hostPort}/${port.protocol}`;
    super(listedTwice ? `${where} is published twice by container ${owner}` : `${where} is already published by container ${owner}`);
  }
}

/** Every address of the subnet is in use. */
export class AddressExhaustedError extends NetworkError {
  override readonly name = 'AddressExhaustedError';
  constructor(subnet: string, capacity: number) {
    super(`no free address left in ${subnet}: all ${capacity} container addresses are allocated`);
  }
}

/** Bad input: an id, a port, a mode the manager cannot accept. */
export class NetworkConfigError extends NetworkError {
  override readonly name = 'NetworkConfigError';
}
