/**
 * The shapes the dashboard reads from the api (apps/api/API.md). They mirror the
 * `libs/contracts` classes as JSON; kept here so that the browser bundle imports nothing of the
 * server-side libraries (class-validator decorators and all).
 */

export type AccountRole = 'admin' | 'viewer' | 'member';
export type TeamRole = 'pull' | 'push' | 'delete' | 'admin';

export interface TeamMembership {
  team: string;
  role: TeamRole;
}

export interface Principal {
  kind: 'admin' | 'user' | 'robot';
  name: string;
  role: AccountRole;
  teams: TeamMembership[];
  via: 'basic' | 'session' | 'registry-token';
  expiresAt?: string;
}

export interface LoginReply {
  token: string;
  expiresAt: string;
  principal: Principal;
}

export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
  pids: number;
}

export type Availability = 'active' | 'pause' | 'drain';

export interface NodeView {
  nodeId: string;
  hostname: string;
  state: 'ready' | 'down' | 'unknown';
  availability: Availability;
  labels: Record<string, string>;
  platform?: { os: string; arch: string };
  agentVersion?: string;
  address?: string;
  capacity: Resources;
  allocatable: Resources;
  allocated: Resources;
  tasks: number;
  runningTasks: number;
  lastHeartbeatAt?: string;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface ServiceSpec {
  name: string;
  image: string;
  mode?: 'replicated' | 'global' | 'job';
  team?: string;
  replicas?: number;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  ports?: PortMapping[];
  network?: string;
  restartPolicy?: { name: string; maxRetries?: number };
  resources?: { cpuRequestMillis?: number; cpuLimitMillis?: number; memoryRequestBytes?: number; memoryLimitBytes?: number; pids?: number };
  constraints?: string[];
  labels?: Record<string, string>;
}

export type RolloutState = 'completed' | 'updating' | 'paused' | 'rolling-back' | 'rolled-back';

export interface ServiceView {
  id: string;
  name: string;
  mode: 'replicated' | 'global' | 'job';
  version: number;
  spec: ServiceSpec;
  desired: number;
  running: number;
  completed?: number;
  rollout: RolloutState;
  rolloutMessage?: string;
  createdAt: string;
  updatedAt: string;
}

export interface PendingReason {
  code: string;
  nodes: number;
  message: string;
}

export interface ServiceTask {
  taskId: string;
  slot: number;
  version: number;
  nodeId?: string;
  desiredState: 'running' | 'shutdown' | 'complete';
  state: string;
  health?: string;
  exitCode?: number;
  reason?: string;
  pendingMessage?: string;
  pendingReasons?: PendingReason[];
  updatedAt: string;
}

export interface ClusterTask extends ServiceTask {
  service: string;
  team?: string;
}

export interface RepositorySummary {
  name: string;
  public: boolean;
  tagCount: number;
  manifestCount: number;
  sizeBytes: number;
  updatedAt?: string;
}

export interface TagView {
  tag: string;
  digest: string;
  mediaType: string;
  sizeBytes: number;
  updatedAt: string;
}

export interface RepositoryDetail extends RepositorySummary {
  tags: TagView[];
}

export interface RegistryUsage {
  totalBytes: number;
  blobs: number;
  teams: Array<{ name: string; quotaBytes: number | null; usedBytes: number }>;
}

export interface TeamView {
  name: string;
  quotaBytes: number | null;
  usedBytes: number;
  members: Array<{ account: string; role: TeamRole }>;
  createdAt: string;
}

export interface LogLine {
  task: string;
  time: string;
  stream: 'stdout' | 'stderr' | string;
  text: string;
}

export type ClusterEventType = 'node' | 'task' | 'service' | 'push' | 'delete';

export interface ClusterEvent {
  id: string;
  type: ClusterEventType;
  at: Date;
  data: Record<string, unknown>;
}
