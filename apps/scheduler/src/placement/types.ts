/** The placement engine's inputs and outputs. Plain data: no classes, no Nest, no I/O. */

export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeReadiness = 'ready' | 'down';
export type PortProtocol = 'tcp' | 'udp';
export type PlacementStrategy = 'spread' | 'binpack';

/** Resource amounts: CPU in millicores (500 = half a CPU), memory in bytes, process count. */
export interface ResourceAmounts {
  cpuMillis: number;
  memoryBytes: number;
  /** Absent: 0 for a request, unlimited for a node. */
  pids?: number;
}

export interface HostPort {
  port: number;
  protocol: PortProtocol;
}

export interface NodePlatform {
  os: string;
  arch: string;
}

/** A task already on a node (running, starting or assigned): it holds resources and host ports. */
export interface RunningTask {
  taskId: string;
  serviceId: string;
  /** Higher wins; absent = 0. Only tasks of strictly lower priority can be preempted. */
  priority?: number;
  resources: ResourceAmounts;
  hostPorts?: HostPort[];
}

export interface NodeSnapshot {
  id: string;
  hostname: string;
  availability: NodeAvailability;
  state: NodeReadiness;
  labels: Record<string, string>;
  platform: NodePlatform;
  capacity: ResourceAmounts;
  /** What tasks may use (capacity minus system reservations). Fit and scores use this. */
  allocatable: ResourceAmounts;
  /** Host ports held by something other than the listed tasks (the tasks' own ports are added). */
  usedPorts?: { tcp?: number[]; udp?: number[] };
  /** Digests of the image layers present on the node. */
  layers?: string[];
  tasks: RunningTask[];
}

export interface ClusterSnapshot {
  nodes: NodeSnapshot[];
}

export interface ImageLayer {
  digest: string;
  sizeBytes: number;
}

/** One task to place. Replicas of one service normally share every field but `taskId`. */
export interface TaskToPlace {
  taskId: string;
  serviceId: string;
  resources: ResourceAmounts;
  hostPorts?: HostPort[];
  /**
   * The service's tasks may publish the same host ports on one node (the node spreads the traffic
   * over them); other services' tasks still conflict. Default false: a host port is one task's.
   */
  sharedPorts?: boolean;
  /** `node.labels.zone==eu`, `node.hostname!=h1`, `node.id==…`, `node.platform.arch==amd64`, `node.platform.os==linux`. */
  constraints?: string[];
  /** `spread=node.labels.<key>`: balance the tasks of the service over the label's values first (as Swarm does). */
  preferences?: string[];
  /** At most this many tasks of the service per node (0 or absent: no limit). */
  maxReplicasPerNode?: number;
  priority?: number;
  /** The image's layers, for image locality. */
  image?: { layers: ImageLayer[] };
  /** `spread` (default): least-allocated nodes first. `binpack`: fill the most allocated node that fits. */
  strategy?: PlacementStrategy;
  /** Platforms the image runs on (any of them); absent = any. `x86_64`/`aarch64` are read as amd64/arm64. */
  platforms?: Array<Partial<NodePlatform>>;
}

export interface PlaceOptions {
  /** Seed for tie-breaking among equal nodes. Same snapshot + tasks + seed → same result. Default 0. */
  seed?: number;
  /** Let higher-priority tasks evict lower-priority ones when nothing fits. Default true. */
  preemption?: boolean;
  /**
   * kube-scheduler's percentageOfNodesToScore: for a task group small compared to the cluster,
   * score only this share of the feasible nodes (at least `minNodesToScore`), walked from a
   * rotating start, and only among nodes with the fewest tasks of the service, so spread stays
   * even. 100 = score every feasible node. Default: 100 (exact).
   */
  percentageOfNodesToScore?: number;
  /** Floor for the sample above. Default 100. */
  minNodesToScore?: number;
  /** Relative weights of the secondary scores (the primary one is spread over nodes / preference groups). */
  weights?: { resources?: number; imageLocality?: number };
}

export interface Eviction {
  taskId: string;
  serviceId: string;
  priority: number;
  nodeId: string;
}

export interface Placement {
  taskId: string;
  serviceId: string;
  nodeId: string;
  hostname: string;
  /** Present when the task only fits after evicting these lower-priority tasks. */
  evictions?: Eviction[];
  /** e.g. `preempts 2 tasks of priority 0 on node h2`. */
  reason?: string;
}

export type PendingReasonCode =
  | 'invalid-spec'
  | 'duplicate-task'
  | 'no-nodes'
  | 'node-down'
  | 'node-paused'
  | 'node-draining'
  | 'platform-mismatch'
  | 'constraint-not-met'
  | 'max-replicas-per-node'
  | 'host-port-in-use'
  | 'insufficient-cpu'
  | 'insufficient-memory'
  | 'insufficient-pids';

/** One line of a why-pending explanation: `nodes` nodes were rejected for this reason (each node counted once, by the first filter it failed). */
export interface PendingReason {
  code: PendingReasonCode;
  nodes: number;
  /** People's text for this group, e.g. `3 nodes: insufficient memory (needs 512Mi, most free 256Mi)`. */
  message: string;
  /** The failed constraint, e.g. `node.labels.zone==eu`. */
  constraint?: string;
  /** The busy port, e.g. `8080/tcp`. */
  port?: string;
  /** insufficient-*: the request and the most free among these nodes (millicores, bytes or pids). */
  needs?: number;
  mostFree?: number;
  /** platform-mismatch: what the task accepts, e.g. `linux/amd64`. */
  platforms?: string[];
  /** max-replicas-per-node: the limit. */
  limit?: number;
}

export interface PendingTask {
  taskId: string;
  serviceId: string;
  /** Grouped reasons, most nodes first. Their `nodes` add up to `nodesTotal` (except invalid-spec / no-nodes). */
  reasons: PendingReason[];
  nodesTotal: number;
  /** All reasons on one line: `3 nodes: insufficient memory (…); 2 nodes: constraint node.labels.zone==eu not met; 1 node: paused`. */
  message: string;
}

export interface PlacementStats {
  tasks: number;
  placed: number;
  pending: number;
  preempted: number;
  /** Task groups (tasks sharing service and spec) and how many of them were scored on a sample. */
  groups: number;
  sampledGroups: number;
  /** Nodes whose score was computed, summed over groups (a measure of work). */
  nodesScored: number;
}

export interface PlaceResult {
  /** In the order of the input tasks. */
  placements: Placement[];
  pending: PendingTask[];
  stats: PlacementStats;
}
