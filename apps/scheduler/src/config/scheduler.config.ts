import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class SchedulerConfig extends BaseServiceConfig {
  /** PostgreSQL for the scheduler's state; empty: SQLite under SILO_HOME. */
  @EnvVar('SILO_DATABASE_URL', { secret: true })
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL, or empty for SQLite' })
  databaseUrl?: string;

  /** Registrations must carry a valid join token (`silo node join-token create`); off only for development. */
  @EnvVar('SILO_REQUIRE_JOIN_TOKEN')
  @IsBoolean()
  requireJoinToken = true;

  /** A node without a heartbeat for this long is down; its tasks are placed elsewhere. */
  @EnvVar('SILO_NODE_DOWN_AFTER_MS')
  @IsInt()
  @Min(500)
  @Max(600_000)
  nodeDownAfterMs = 3000;

  /** How often the reconciler runs at most (it also runs once a second regardless). */
  @EnvVar('SILO_RECONCILE_INTERVAL_MS')
  @IsInt()
  @Min(10)
  @Max(10_000)
  reconcileIntervalMs = 100;

  /** Every agent gets its whole desired set again at least this often, changed or not. */
  @EnvVar('SILO_RESYNC_INTERVAL_MS')
  @IsInt()
  @Min(500)
  resyncIntervalMs = 5000;
}
