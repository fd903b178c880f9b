import { ClusterTask } from '@silo/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';

export { AgentExecReply as ExecReply, TaskListReply } from '@silo/contracts';

export class TaskReply {
  @ValidateNested() @Type(() => ClusterTask) task!: ClusterTask;
}

/** `GET /api/v1/tasks?service=&node=`. */
export class TaskListQuery {
  @IsOptional() @IsString() @MaxLength(63) service?: string;
  @IsOptional() @IsString() @MaxLength(63) node?: string;
}

/** `POST /api/v1/tasks/:id/exec`: a non-interactive command in the task's container. */
export class ExecBody {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1024) @IsString({ each: true }) @MinLength(1, { each: true }) command!: string[];
  @IsOptional() @IsObject() env?: Record<string, string>;
  @IsOptional() @IsString() @MaxLength(256) user?: string;
  @IsOptional() @IsString() @MaxLength(4096) workingDir?: string;
  @IsOptional() @IsInt() @Min(100) @Max(3_600_000) timeoutMs?: number;
}
