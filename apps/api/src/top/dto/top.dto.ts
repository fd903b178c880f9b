import { NodeResources } from '@silo/contracts';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNumber, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

export class TopNode {
  @IsString() nodeId!: string;
  @IsString() hostname!: string;
  @IsIn(['ready', 'down', 'unknown']) state!: string;
  /** CPU in use by the node's tasks, in millicores (1000 = one CPU busy). */
  @IsInt() @Min(0) cpuMillis!: number;
  @IsInt() @Min(0) memoryBytes!: number;
  @ValidateNested() @Type(() => NodeResources) capacity!: NodeResources;
  /** Running tasks reporting usage. */
  @IsInt() @Min(0) tasks!: number;
  /** Why usage is missing (the agent did not answer). */
  @IsOptional() @IsString() error?: string;
}

export class TopService {
  @IsString() name!: string;
  @IsOptional() @IsString() team?: string;
  @IsInt() @Min(0) tasks!: number;
  /** Percent of one CPU (200 = two CPUs busy), over the sampling interval. */
  @IsNumber() cpuPercent!: number;
  @IsInt() @Min(0) memoryBytes!: number;
  @IsInt() @Min(0) pids!: number;
}

/** `GET /api/v1/top`. */
export class TopReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => TopNode) nodes!: TopNode[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => TopService) services!: TopService[];
  /** How far apart the two samples were. */
  @IsInt() intervalMs!: number;
}
