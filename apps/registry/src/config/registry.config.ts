import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class RegistryConfig extends BaseServiceConfig {
  /** OCI Distribution API port. */
  @EnvVar('SILO_REGISTRY_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 5000;

  /** PostgreSQL for registry metadata; empty: SQLite under SILO_HOME. */
  @EnvVar('SILO_DATABASE_URL', { secret: true })
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL, or empty for SQLite' })
  databaseUrl?: string;
}
