import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** Node ids are DNS-label-like so they can sit inside NATS subjects and paths. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;

export class NodeCapacity {
  @IsInt() @Min(1) cpuMillis!: number;
  @IsInt() @Min(1) memoryBytes!: number;
}

export class NodePlatform {
  @IsIn(['linux']) os!: string;
  @IsString() @MaxLength(32) arch!: string;
}

export const CGROUP_MODES = ['v1', 'v2', 'hybrid', 'none'] as const;
export type CgroupMode = (typeof CGROUP_MODES)[number];

/** `silo.scheduler.node.register` (command): an agent announces itself and its capacity. */
export class NodeRegisterRequest {
  @Matches(NODE_ID_PATTERN, { message: 'nodeId must be 3-63 lowercase letters, digits or dashes' }) nodeId!: string;
  @IsString() @MaxLength(253) hostname!: string;
  @IsString() @MaxLength(64) agentVersion!: string;
  @ValidateNested() @Type(() => NodePlatform) platform!: NodePlatform;
  @IsString() @MaxLength(128) kernel!: string;
  @IsIn(CGROUP_MODES) cgroupMode!: CgroupMode;
  @ValidateNested() @Type(() => NodeCapacity) capacity!: NodeCapacity;
  @IsObject() labels!: Record<string, string>;
  /** `SILO-JOIN-<id>-<secret>`: required by a scheduler with SILO_REQUIRE_JOIN_TOKEN (the default). */
  @IsOptional() @IsString() @MaxLength(128) joinToken?: string;
}

export class NodeRegisterReply {
  @IsString() nodeId!: string;
  @IsISO8601() registeredAt!: string;
  /** True the first time this node id is seen by the cluster. */
  @IsBoolean() firstSeen!: boolean;
}
