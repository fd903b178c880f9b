import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

/**
 * `silo.<service>.health` (request/reply). The request has no fields today; anything else sent is
 * answered with VALIDATION_FAILED, so a caller learns at once that it speaks another version.
 */
export class HealthRequest {}

export type CheckStatus = 'pass' | 'fail';

export class HealthCheckResult {
  @IsString() name!: string;
  @IsIn(['pass', 'fail']) status!: CheckStatus;
  @IsOptional() @IsString() message?: string;
  @IsNumber() @Min(0) durationMs!: number;
}

export class HealthReply {
  @IsString() service!: string;
  /** Which replica answered: hostname:pid, or the node id for agents. */
  @IsString() instance!: string;
  @IsString() version!: string;
  @IsISO8601() startedAt!: string;
  @IsInt() @Min(0) uptimeSeconds!: number;
  @IsIn(['pass', 'fail']) status!: CheckStatus;
  @IsArray() @ValidateNested({ each: true }) @Type(() => HealthCheckResult) checks!: HealthCheckResult[];
}
