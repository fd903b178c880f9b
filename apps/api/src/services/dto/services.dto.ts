import { PendingReason } from '@silo/contracts';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsString, Max, Min, ValidateNested } from 'class-validator';

export { ServiceSpec, ServiceReply, ServiceListReply, ServiceTasksReply, ServiceRemoveReply } from '@silo/contracts';

/** `POST /api/v1/services/:name/scale`. */
export class ScaleBody {
  @IsInt() @Min(0) @Max(100_000) replicas!: number;
}

export class PendingTask {
  @IsString() taskId!: string;
  @IsInt() slot!: number;
  @IsString() message!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => PendingReason) reasons!: PendingReason[];
}

/** `GET /api/v1/services/:name/pending`: why tasks are not placed. */
export class PendingReply {
  @IsString() name!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => PendingTask) pending!: PendingTask[];
}

/** `PATCH`: a partial ServiceSpec (JSON merge patch: objects merge, arrays replace, null removes). */
export class ServicePatch {}
