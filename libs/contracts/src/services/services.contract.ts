import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ContainerSpecFields, TaskStatus } from '../agent-tasks/agent-tasks.contract';
import { TEAM_NAME_PATTERN } from '../registry-accounts/registry-accounts.contract';

/**
 * Workloads the scheduler runs across the cluster: services (replicated or global) and jobs (run
 * to completion). Every update makes a new spec version; `rollback` returns to the previous one.
 * Commands on `silo.scheduler.service.*` (queue group: any scheduler replica answers; the leader
 * acts). A spec that fails validation is rejected with every problem listed, and nothing applies.
 */

/** Service names are DNS labels: they name tasks (`<name>.<slot>.<id>`) and log streams. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const SERVICE_MODES = ['replicated', 'global', 'job'] as const;
export type ServiceMode = (typeof SERVICE_MODES)[number];

export class ServiceResources {
  /** CPU request in millicores (used for placement). */
  @IsOptional() @IsInt() @Min(0) cpuRequestMillis?: number;
  /** CPU limit in millicores (enforced in the cgroup). */
  @IsOptional() @IsInt() @Min(1) cpuLimitMillis?: number;
  @IsOptional() @IsInt() @Min(0) memoryRequestBytes?: number;
  @IsOptional() @IsInt() @Min(1) memoryLimitBytes?: number;
  @IsOptional() @IsInt() @Min(1) pids?: number;
}

export class UpdateConfigSpec {
  /** Tasks replaced at a time (default 1). */
  @IsOptional() @IsInt() @Min(1) parallelism?: number;
  /** Wait between batches (default 0). */
  @IsOptional() @IsInt() @Min(0) delayMs?: number;
  /** How long an updated task must stay running (and healthy) to count as a success (default 5 s). */
  @IsOptional() @IsInt() @Min(0) monitorMs?: number;
  @IsOptional() @IsIn(['stop-first', 'start-first']) order?: 'stop-first' | 'start-first';
  @IsOptional() @IsIn(['pause', 'rollback']) failureAction?: 'pause' | 'rollback';
}

export class ServiceSpec extends ContainerSpecFields {
  @Matches(SERVICE_NAME_PATTERN, { message: 'name must be a DNS label: lowercase letters, digits and "-", at most 63' }) name!: string;
  @IsOptional() @IsIn(SERVICE_MODES) mode?: ServiceMode;
  /** The team that owns it: its members manage it (set by the api from the caller's teams). */
  @IsOptional() @Matches(TEAM_NAME_PATTERN, { message: 'team must be a team name' }) team?: string;
  /** replicated: how many (default 1). */
  @IsOptional() @IsInt() @Min(0) @Max(100_000) replicas?: number;
  /** job: successful runs needed (default 1). */
  @IsOptional() @IsInt() @Min(1) @Max(100_000) completions?: number;
  /** job: how many run at once (default 1). */
  @IsOptional() @IsInt() @Min(1) @Max(100_000) parallelism?: number;
  @IsOptional() @ValidateNested() @Type(() => ServiceResources) resources?: ServiceResources;
  /** `node.labels.zone==eu`, `node.hostname!=h1`, `node.id==…`, `node.platform.arch==amd64`. */
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) constraints?: string[];
  /** `spread=node.labels.<key>`. */
  @IsOptional() @IsArray() @ArrayMaxSize(8) @IsString({ each: true }) preferences?: string[];
  @IsOptional() @IsInt() @Min(0) maxReplicasPerNode?: number;
  @IsOptional() @IsInt() @Min(-1000) @Max(1000) priority?: number;
  @IsOptional() @IsIn(['spread', 'binpack']) strategy?: 'spread' | 'binpack';
  @IsOptional() @ValidateNested() @Type(() => UpdateConfigSpec) updateConfig?: UpdateConfigSpec;
}

export const ROLLOUT_STATES = ['completed', 'updating', 'paused', 'rolling-back', 'rolled-back'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export class PendingReason {
  @IsString() code!: string;
  @IsInt() nodes!: number;
  @IsString() message!: string;
}

/** One task of a service, as the scheduler sees it. */
export class ServiceTask {
  @IsString() taskId!: string;
  @IsInt() slot!: number;
  @IsInt() version!: number;
  @IsOptional() @IsString() nodeId?: string;
  /** What the scheduler wants: running, or shutdown (being replaced / removed). */
  @IsIn(['running', 'shutdown', 'complete']) desiredState!: 'running' | 'shutdown' | 'complete';
  /** The agent's latest report, or `pending` / `assigned` before one. */
  @IsString() state!: string;
  @IsOptional() @IsString() health?: string;
  @IsOptional() @IsInt() exitCode?: number;
  @IsOptional() @IsString() reason?: string;
  /** Why it is not placed: counts per reason ("3 nodes: insufficient memory …"). */
  @IsOptional() @IsString() pendingMessage?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => PendingReason) pendingReasons?: PendingReason[];
  @IsISO8601() updatedAt!: string;
}

export class ServiceView {
  @IsString() id!: string;
  @IsString() name!: string;
  @IsIn(SERVICE_MODES) mode!: ServiceMode;
  @IsInt() version!: number;
  @ValidateNested() @Type(() => ServiceSpec) spec!: ServiceSpec;
  /** Tasks wanted now (replicas; one per eligible node for global; parallelism for a job). */
  @IsInt() desired!: number;
  @IsInt() running!: number;
  @IsOptional() @IsInt() completed?: number;
  /** job: the exit code of its last failed run (what `silo job run` exits with when the job gives up). */
  @IsOptional() @IsInt() lastExitCode?: number;
  @IsIn(ROLLOUT_STATES) rollout!: RolloutState;
  @IsOptional() @IsString() rolloutMessage?: string;
  @IsISO8601() createdAt!: string;
  @IsISO8601() updatedAt!: string;
}

/** `silo.scheduler.service.create` */
export class ServiceCreateRequest {
  @ValidateNested() @Type(() => ServiceSpec) spec!: ServiceSpec;
}

/** `silo.scheduler.service.update`: the whole new spec (a new version). */
export class ServiceUpdateRequest {
  @Matches(SERVICE_NAME_PATTERN) name!: string;
  @ValidateNested() @Type(() => ServiceSpec) spec!: ServiceSpec;
}

/** `silo.scheduler.service.scale` */
export class ServiceScaleRequest {
  @Matches(SERVICE_NAME_PATTERN) name!: string;
  @IsInt() @Min(0) @Max(100_000) replicas!: number;
}

/** `silo.scheduler.service.get`, `.remove`, `.rollback`, `.tasks` */
export class ServiceNameRequest {
  @Matches(SERVICE_NAME_PATTERN) name!: string;
}

export class ServiceListRequest {}

export class ServiceReply {
  @ValidateNested() @Type(() => ServiceView) service!: ServiceView;
}

export class ServiceListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => ServiceView) services!: ServiceView[];
}

export class ServiceTasksReply {
  @IsString() name!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ServiceTask) tasks!: ServiceTask[];
}

export class ServiceRemoveReply {
  @IsString() name!: string;
  @IsBoolean() removed!: boolean;
}

/** `silo.scheduler.node.update`: availability and labels of a node. */
export class NodeUpdateRequest {
  @IsString() @MaxLength(63) nodeId!: string;
  @IsOptional() @IsIn(['active', 'pause', 'drain']) availability?: 'active' | 'pause' | 'drain';
  @IsOptional() @IsObject() labelsAdd?: Record<string, string>;
  @IsOptional() @IsArray() @IsString({ each: true }) labelsRemove?: string[];
}

export class NodeUpdateReply {
  @IsString() nodeId!: string;
  @IsIn(['active', 'pause', 'drain']) availability!: string;
  @IsObject() labels!: Record<string, string>;
}

/** `silo.scheduler.task-state` is the agent's TaskStatus event; re-exported for the scheduler side. */
export type AgentReportedStatus = TaskStatus;
