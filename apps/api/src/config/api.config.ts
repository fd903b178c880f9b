import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsInt, IsOptional, IsUrl, Matches, Max, Min } from 'class-validator';

export class ApiConfig extends BaseServiceConfig {
  @EnvVar('SILO_API_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 7070;

  /** The registry's port, for the registry address given to users. */
  @EnvVar('SILO_REGISTRY_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  registryPort = 5000;

  /** How users reach the api; default http://127.0.0.1:<port> (same host). */
  @EnvVar('SILO_API_PUBLIC_URL')
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  publicUrl?: string;

  /** How users reach the registry (`host:port`); default 127.0.0.1:<registry port>. */
  @EnvVar('SILO_REGISTRY_ADDRESS')
  @IsOptional()
  @Matches(/^[a-zA-Z0-9.-]+(:\d{1,5})?$/, { message: 'must be host or host:port' })
  registryAddress?: string;

  /** How long `status` waits for each service's health answer. */
  @EnvVar('SILO_STATUS_TIMEOUT_MS')
  @IsInt()
  @Min(100)
  @Max(60_000)
  statusTimeoutMs = 2000;

  get apiUrl(): string {
    return this.publicUrl ?? `http://127.0.0.1:${this.port}`;
  }

  get registry(): string {
    return this.registryAddress ?? `127.0.0.1:${this.registryPort}`;
  }
}
