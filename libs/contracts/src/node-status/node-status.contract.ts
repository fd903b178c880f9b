import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { NodeResources } from '../agent-tasks/agent-tasks.contract';
import { NodePlatform } from '../node-register/node-register.contract';
import { ServiceTask } from '../services/services.contract';

/**
 * The scheduler's live view of nodes and tasks (queries answered by the leader, which holds the
 * model): `silo.scheduler.node.status` and `silo.scheduler.task.list`.
 */

export const NODE_STATES = ['ready', 'down', 'unknown'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export class NodeStatusRequest {
  /** One node; `NOT_FOUND` when unknown. */
  @IsOptional() @IsString() @MaxLength(63) nodeId?: string;
}

export class NodeView {
  @IsString() nodeId!: string;
  @IsString() hostname!: string;
  @IsIn(NODE_STATES) state!: NodeState;
  @IsIn(['active', 'pause', 'drain']) availability!: 'active' | 'pause' | 'drain';
  @IsObject() labels!: Record<string, string>;
  @IsOptional() @ValidateNested() @Type(() => NodePlatform) platform?: NodePlatform;
  @IsOptional() @IsString() agentVersion?: string;
  @IsOptional() @IsString() address?: string;
  @ValidateNested() @Type(() => NodeResources) capacity!: NodeResources;
  @ValidateNested() @Type(() => NodeResources) allocatable!: NodeResources;
  /** Requests of the tasks placed on it. */
  @ValidateNested() @Type(() => NodeResources) allocated!: NodeResources;
  @IsInt() @Min(0) tasks!: number;
  @IsInt() @Min(0) runningTasks!: number;
  @IsOptional() @IsISO8601() lastHeartbeatAt?: string;
}

export class NodeStatusReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => NodeView) nodes!: NodeView[];
}

/** `silo.scheduler.task.list` (query): tasks of every service, or of one service / one node. */
export class TaskListRequest {
  @IsOptional() @IsString() @MaxLength(63) service?: string;
  @IsOptional() @IsString() @MaxLength(63) nodeId?: string;
  /** One task by id (`NOT_FOUND` when unknown). */
  @IsOptional() @IsString() @MaxLength(63) taskId?: string;
}

export class ClusterTask extends ServiceTask {
  @IsString() service!: string;
  @IsOptional() @IsString() team?: string;
}

export class TaskListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => ClusterTask) tasks!: ClusterTask[];
}
