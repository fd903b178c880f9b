import { Type } from 'class-transformer';
import { IsArray, IsIn, IsISO8601, IsObject, IsString, ValidateNested } from 'class-validator';
import { CGROUP_MODES, CgroupMode, NodeCapacity, NodePlatform } from '../node-register/node-register.contract';

/** `silo.scheduler.node.list` (query). */
export class NodeListRequest {}

export class NodeSummary {
  @IsString() nodeId!: string;
  @IsString() hostname!: string;
  @IsString() agentVersion!: string;
  @ValidateNested() @Type(() => NodePlatform) platform!: NodePlatform;
  @IsString() kernel!: string;
  @IsIn(CGROUP_MODES) cgroupMode!: CgroupMode;
  @ValidateNested() @Type(() => NodeCapacity) capacity!: NodeCapacity;
  @IsObject() labels!: Record<string, string>;
  @IsISO8601() firstSeenAt!: string;
  @IsISO8601() lastRegisteredAt!: string;
}

export class NodeListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => NodeSummary) nodes!: NodeSummary[];
}
