import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsOptional, Matches } from 'class-validator';

export class SchedulerConfig extends BaseServiceConfig {
  /** PostgreSQL for the scheduler's state; empty: SQLite under SILO_HOME. */
  @EnvVar('SILO_DATABASE_URL', { secret: true })
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL, or empty for SQLite' })
  databaseUrl?: string;
}
