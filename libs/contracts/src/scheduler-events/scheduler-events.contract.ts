import { IsIn, IsInt, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import { TEAM_NAME_PATTERN } from '../registry-accounts/registry-accounts.contract';
import { ROLLOUT_STATES, RolloutState } from '../services/services.contract';

/** What happened to a service, in `silo.scheduler.service-changed`. */
export const SERVICE_ACTIONS = ['created', 'updated', 'scaled', 'rolled-back', 'removed', 'rollout'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** `silo.scheduler.service-changed` (event, broadcast by the leading scheduler). */
export class ServiceChangedEvent {
  @IsIn(SERVICE_ACTIONS) action!: ServiceAction;
  @IsString() @MinLength(1) name!: string;
  @IsInt() @Min(0) version!: number;
  @IsIn(ROLLOUT_STATES) rollout!: RolloutState;
  /** Why a rollout paused or rolled back. */
  @IsOptional() @IsString() message?: string;
  @IsOptional() @Matches(TEAM_NAME_PATTERN) team?: string;
  /** Replicas wanted (0 once removed) and running. */
  @IsInt() @Min(0) desired!: number;
  @IsInt() @Min(0) running!: number;
}

export const NODE_EVENT_STATES = ['ready', 'down'] as const;

/** `silo.scheduler.node-state` (event, broadcast by the leading scheduler). */
export class NodeStateEvent {
  @IsString() @MinLength(1) nodeId!: string;
  @IsString() hostname!: string;
  @IsIn(NODE_EVENT_STATES) state!: (typeof NODE_EVENT_STATES)[number];
}
