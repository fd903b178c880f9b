import type { HealthState, ServiceMode, ServiceSpec, TaskState } from '@silo/contracts';

/**
 * The scheduler's picture of the cluster: nodes (from registration, heartbeats and the admin),
 * services with their spec versions, and tasks. Plain data, so the reconciler that works on it is
 * a pure function and the orchestrator around it only does I/O.
 */

export type Availability = 'active' | 'pause' | 'drain';

export interface NodeModel {
  nodeId: string;
  hostname: string;
  os: string;
  arch: string;
  capacity: { cpuMillis: number; memoryBytes: number; pids: number };
  /** What the node reports it has left (after everything on it, ours or not). */
  reportedAllocatable?: { cpuMillis: number; memoryBytes: number; pids: number };
  /** Labels the agent announces, merged with (and overridden by) the admin's. */
  agentLabels: Record<string, string>;
  adminLabels: Record<string, string>;
  availability: Availability;
  state: 'ready' | 'down';
  /** ms since epoch of the last heartbeat (or registration). */
  lastSeenMs: number;
  /** ms since epoch of the last heartbeat this scheduler received (undefined: none yet). */
  lastHeartbeatMs?: number;
  /**
   * ms since epoch this scheduler last heard from the node itself (heartbeat or registration);
   * undefined while it is only known from the database (its state is then `unknown`).
   */
  heardMs?: number;
  layers: Set<string>;
  /** Image reference → its layer digests, as the node reports the images it holds. */
  images?: Map<string, string[]>;
  /** Task ids the node last said it runs, with their states. */
  reported: Map<string, TaskState>;
}

export type TaskPhase = TaskState | 'assigned' | 'lost';

export interface TaskModel {
  taskId: string;
  serviceId: string;
  /** Replicated / job: 1…n. Global: the node id. */
  slot: string;
  version: number;
  nodeId?: string;
  desired: 'running' | 'shutdown' | 'complete';
  state: TaskPhase;
  health?: HealthState;
  exitCode?: number;
  reason?: string;
  pendingMessage?: string;
  pendingReasons?: { code: string; nodes: number; message: string }[];
  createdMs: number;
  updatedMs: number;
  /** When it was first reported running (rollout monitoring). */
  runningSinceMs?: number;
  /** Replaces this task (drain, rebalance, start-first update): stop this one once that one runs. */
  replacedBy?: string;
}

export type RolloutState = 'completed' | 'updating' | 'paused' | 'rolling-back' | 'rolled-back';

export interface ServiceModel {
  id: string;
  name: string;
  mode: ServiceMode;
  version: number;
  specs: Map<number, ServiceSpec>;
  /** The version `rollback` returns to. */
  previousVersion?: number;
  rollout: RolloutState;
  rolloutMessage?: string;
  createdMs: number;
  updatedMs: number;
  /** Per slot: consecutive failures (backoff before a replacement); a job's failed runs under JOB_FAILURES (stored). */
  failures: Map<string, { count: number; retryAtMs: number }>;
  /** A job's last failed run's exit code. */
  lastExitCode?: number;
}

export interface ClusterModel {
  nodes: Map<string, NodeModel>;
  services: Map<string, ServiceModel>;
  tasks: Map<string, TaskModel>;
}

export function emptyModel(): ClusterModel {
  return { nodes: new Map(), services: new Map(), tasks: new Map() };
}

export function nodeLabels(node: NodeModel): Record<string, string> {
  return { ...node.agentLabels, ...node.adminLabels };
}

export function currentSpec(service: ServiceModel): ServiceSpec {
  const spec = service.specs.get(service.version);
  if (!spec) throw new Error(`service ${service.name} has no spec version ${service.version}`);
  return spec;
}

/**
 * SPEC, with TEAM when it names none: the owning team belongs to the service, not to one spec
 * version, so an update or a rollback never drops it by omission.
 */
export function withTeam(spec: ServiceSpec, team: string | undefined): ServiceSpec {
  return spec.team === undefined && team !== undefined ? { ...spec, team } : spec;
}

/** States in which a task occupies its node (or will shortly). */
export const ACTIVE_PHASES: ReadonlySet<TaskPhase> = new Set(['assigned', 'pending', 'pulling', 'starting', 'running', 'stopping']);
/** States after which a task will not run again by itself. */
export const TERMINAL_PHASES: ReadonlySet<TaskPhase> = new Set(['exited', 'oom-killed', 'failed', 'removed', 'lost']);

/** The key under which a job's failed runs are counted in `ServiceModel.failures` (kept in the database). */
export const JOB_FAILURES = '#job';
