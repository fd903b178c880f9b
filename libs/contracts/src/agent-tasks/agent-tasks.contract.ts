import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

/**
 * The node agent's input is desired state: the scheduler (or a test) sends one node its whole task
 * set on `silo.agent.<nodeId>.tasks.set`; the agent makes the host match it and reports each task's
 * actual state as `silo.node-agent.task-state` events. Sending the same set twice changes nothing.
 */

/** Task ids double as container ids, cgroup and netns names: short, lowercase, path-safe. */
export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export const NETWORK_MODES = ['none', 'host', 'bridge'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export const ISOLATION_MODES = ['default', 'hardened'] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export const RESTART_POLICIES = ['no', 'on-failure', 'always'] as const;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];

export const PULL_POLICIES = ['if-not-present', 'always'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export class RegistryAuth {
  @IsString() @MinLength(1) @MaxLength(256) username!: string;
  @IsString() @MinLength(1) @MaxLength(4096) password!: string;
}

export class TaskResources {
  /** CPU limit in millicores (500 = half a CPU): cpu quota per 100 ms period. */
  @IsOptional() @IsInt() @Min(1) cpuMillis?: number;
  /** Memory limit in bytes (swap disabled). */
  @IsOptional() @IsInt() @Min(1) memoryBytes?: number;
  /** Maximum number of processes. */
  @IsOptional() @IsInt() @Min(1) pids?: number;
}

export class PortMappingSpec {
  @IsInt() @Min(1) @Max(65535) hostPort!: number;
  @IsInt() @Min(1) @Max(65535) containerPort!: number;
  @IsIn(['tcp', 'udp']) protocol!: 'tcp' | 'udp';
  /** Tasks with the same share group (one service's replicas) may publish the same host port on one node; connections are spread over them. */
  @IsOptional() @IsString() @MaxLength(128) shareGroup?: string;
}

export class RestartPolicySpec {
  @IsIn(RESTART_POLICIES) name!: RestartPolicyName;
  /** on-failure: give up after this many restarts (0 or absent: no limit). */
  @IsOptional() @IsInt() @Min(0) maxRetries?: number;
}

export class HealthCheckSpec {
  @IsIn(['exec', 'tcp']) type!: 'exec' | 'tcp';
  /** exec: the command run inside the container; exit 0 = healthy. */
  @IsOptional() @IsArray() @ArrayMaxSize(256) @IsString({ each: true }) command?: string[];
  /** tcp: the container port that must accept a connection. */
  @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
  @IsOptional() @IsInt() @Min(100) intervalMs?: number;
  @IsOptional() @IsInt() @Min(10) timeoutMs?: number;
  @IsOptional() @IsInt() @Min(1) retries?: number;
  @IsOptional() @IsInt() @Min(0) startPeriodMs?: number;
}

/**
 * What a container is made of, as a service spec and a node's task spec both say it (the service
 * adds placement and rollout; the task adds its id and limits).
 */
export class ContainerSpecFields {
  /** An image reference; without a registry host it names a repository of Silo's registry. */
  @IsString() @MinLength(1) @MaxLength(512) image!: string;
  @IsOptional() @ValidateNested() @Type(() => RegistryAuth) registryAuth?: RegistryAuth;
  /** Replaces the image's entrypoint. */
  @IsOptional() @IsArray() @ArrayMaxSize(1024) @IsString({ each: true }) command?: string[];
  /** Replaces the image's cmd. */
  @IsOptional() @IsArray() @ArrayMaxSize(4096) @IsString({ each: true }) args?: string[];
  /** Added to (and overriding) the image's environment. */
  @IsOptional() @IsObject() env?: Record<string, string>;
  @IsOptional() @IsString() @MaxLength(4096) workingDir?: string;
  /** `uid`, `uid:gid`, `name` or `name:group`, resolved in the image's /etc/passwd and /etc/group. */
  @IsOptional() @IsString() @MaxLength(256) user?: string;
  @IsOptional() @IsIn(NETWORK_MODES) network?: NetworkMode;
  @IsOptional() @IsArray() @ArrayMaxSize(128) @ValidateNested({ each: true }) @Type(() => PortMappingSpec) ports?: PortMappingSpec[];
  @IsOptional() @ValidateNested() @Type(() => RestartPolicySpec) restartPolicy?: RestartPolicySpec;
  @IsOptional() @ValidateNested() @Type(() => HealthCheckSpec) healthCheck?: HealthCheckSpec;
  @IsOptional() @IsBoolean() readOnlyRootfs?: boolean;
  @IsOptional() @IsIn(ISOLATION_MODES) isolation?: IsolationMode;
  /** SIGTERM, then SIGKILL after this long (default 10 s). */
  @IsOptional() @IsInt() @Min(0) @Max(3_600_000) stopGracePeriodMs?: number;
  @IsOptional() @IsObject() labels?: Record<string, string>;
}

export class AgentTaskSpec extends ContainerSpecFields {
  @Matches(TASK_ID_PATTERN, { message: 'taskId must be 1-63 lowercase letters, digits, ".", "_" or "-"' }) taskId!: string;
  @IsOptional() @IsIn(PULL_POLICIES) pullPolicy?: PullPolicy;
  @IsOptional() @ValidateNested() @Type(() => TaskResources) resources?: TaskResources;
  @IsOptional() @IsString() @MaxLength(253) hostname?: string;
}

/** `silo.agent.<nodeId>.tasks.set` (command): the node's complete desired task set. */
export class AgentTaskSetRequest {
  /** Sets are applied in generation order; an older generation than the last applied is ignored. */
  @IsInt() @Min(0) generation!: number;
  @IsArray() @ArrayMaxSize(10_000) @ValidateNested({ each: true }) @Type(() => AgentTaskSpec) tasks!: AgentTaskSpec[];
}

export const TASK_STATES = ['pending', 'pulling', 'starting', 'running', 'stopping', 'exited', 'oom-killed', 'failed', 'removed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** A task's actual state on its node (also the body of `silo.node-agent.task-state`). */
export class TaskStatus {
  @IsString() nodeId!: string;
  @IsString() taskId!: string;
  @IsIn(TASK_STATES) state!: TaskState;
  @IsISO8601() at!: string;
  @IsOptional() @IsInt() exitCode?: number;
  @IsOptional() @IsString() reason?: string;
  @IsOptional() @IsIn(HEALTH_STATES) health?: HealthState;
  @IsOptional() @IsInt() pid?: number;
  @IsOptional() @IsString() ip?: string;
  @IsOptional() @IsString() imageDigest?: string;
  @IsInt() @Min(0) restarts!: number;
  @IsOptional() @IsISO8601() startedAt?: string;
  @IsOptional() @IsISO8601() finishedAt?: string;
}

export class AgentTaskSetReply {
  @IsInt() generation!: number;
  /** False when the set was older than the last one applied (and so ignored). */
  @IsBoolean() applied!: boolean;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TaskStatus) tasks!: TaskStatus[];
}

/** `silo.agent.<nodeId>.tasks.list` (query). */
export class AgentTaskListRequest {}

export class AgentTaskListReply {
  @IsInt() generation!: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TaskStatus) tasks!: TaskStatus[];
}

/** `silo.node-agent.image-progress` (event): layer download / unpack progress of a pull. */
export class ImagePullProgressEvent {
  @IsString() nodeId!: string;
  @IsString() reference!: string;
  @IsOptional() @IsString() taskId?: string;
  @IsString() layer!: string;
  @IsIn(['downloading', 'unpacking', 'done']) phase!: 'downloading' | 'unpacking' | 'done';
  @IsNumber() bytes!: number;
  @IsNumber() total!: number;
}

/** `silo.agent.<nodeId>.logs.read` (query): a task's log lines (CRI: time, stream, text). */
export class AgentLogsRequest {
  @Matches(TASK_ID_PATTERN) taskId!: string;
  /** Only the last N lines. */
  @IsOptional() @IsInt() @Min(0) tail?: number;
  /** Only lines after this time. */
  @IsOptional() @IsISO8601() since?: string;
  /**
   * Follow: the reply is the first chunk; later lines are published on `followSubject` (an inbox
   * the caller subscribed to) until `followMs` has passed or the caller stops answering.
   */
  @IsOptional() @IsString() @MaxLength(256) followSubject?: string;
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000) followMs?: number;
}

export class LogLine {
  @IsString() time!: string;
  @IsIn(['stdout', 'stderr']) stream!: 'stdout' | 'stderr';
  @IsString() text!: string;
}

export class AgentLogsReply {
  @IsString() taskId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => LogLine) lines!: LogLine[];
  /** True when the stream is over (follow ended). */
  @IsOptional() @IsBoolean() end?: boolean;
}

/** `silo.agent.<nodeId>.exec` (command): run a command inside a running task's container. */
export class AgentExecRequest {
  @Matches(TASK_ID_PATTERN) taskId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1024) @IsString({ each: true }) @MinLength(1, { each: true }) command!: string[];
  @IsOptional() @IsObject() env?: Record<string, string>;
  @IsOptional() @IsString() @MaxLength(256) user?: string;
  @IsOptional() @IsString() @MaxLength(4096) workingDir?: string;
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000) timeoutMs?: number;
}

export class AgentExecReply {
  @IsInt() exitCode!: number;
  @IsString() stdout!: string;
  @IsString() stderr!: string;
  @IsBoolean() timedOut!: boolean;
}

/** `silo.agent.<nodeId>.stats` (query): usage from each task's cgroup. */
export class AgentStatsRequest {
  @IsOptional() @Matches(TASK_ID_PATTERN) taskId?: string;
}

export class TaskStats {
  @IsString() taskId!: string;
  @IsNumber() cpuUsageNs!: number;
  @IsNumber() memoryBytes!: number;
  /** -1: unlimited. */
  @IsNumber() memoryLimitBytes!: number;
  @IsNumber() pids!: number;
  @IsNumber() pidsLimit!: number;
}

export class AgentStatsReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => TaskStats) tasks!: TaskStats[];
}

export class NodeResources {
  @IsInt() @Min(0) cpuMillis!: number;
  @IsInt() @Min(0) memoryBytes!: number;
  @IsInt() @Min(0) pids!: number;
}

export class HeartbeatImage {
  @IsString() reference!: string;
  @IsString() digest!: string;
  @IsArray() @IsString({ each: true }) layers!: string[];
  @IsNumber() sizeBytes!: number;
}

export class HeartbeatTask {
  @IsString() taskId!: string;
  @IsIn(TASK_STATES) state!: TaskState;
  @IsOptional() @IsIn(HEALTH_STATES) health?: HealthState;
}

/** `silo.node-agent.heartbeat` (event): what the scheduler needs to place and to notice loss. */
export class NodeHeartbeatEvent {
  @IsString() nodeId!: string;
  @IsISO8601() at!: string;
  @IsInt() @Min(0) sequence!: number;
  @IsInt() @Min(0) generation!: number;
  @ValidateNested() @Type(() => NodeResources) capacity!: NodeResources;
  @ValidateNested() @Type(() => NodeResources) allocatable!: NodeResources;
  @IsObject() labels!: Record<string, string>;
  @IsArray() @ValidateNested({ each: true }) @Type(() => HeartbeatImage) images!: HeartbeatImage[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => HeartbeatTask) tasks!: HeartbeatTask[];
}
