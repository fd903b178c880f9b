import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { HealthCheckResult } from '../health/health.contract';

export const COMPONENT_STATES = ['healthy', 'unhealthy', 'unreachable'] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

/** One row of `silo status`: a service replica (or the NATS server) and its checks. */
export class ComponentStatus {
  /** registry, layer-store, scheduler, api, node-agent or nats. */
  @IsString() name!: string;
  @IsOptional() @IsString() instance?: string;
  @IsOptional() @IsString() version?: string;
  @IsIn(COMPONENT_STATES) state!: ComponentState;
  @IsOptional() @IsInt() @Min(0) uptimeSeconds?: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => HealthCheckResult) checks!: HealthCheckResult[];
  /** Why it is unreachable. */
  @IsOptional() @IsString() error?: string;
}

/** `GET /api/v1/status`: the whole platform's health as the api sees it over NATS. */
export class StatusReport {
  @IsBoolean() healthy!: boolean;
  @IsISO8601() checkedAt!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ComponentStatus) components!: ComponentStatus[];
}
