import { IsIn, IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { resolve } from 'node:path';
import { EnvVar } from './env-var.decorator';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings every Silo service shares. Each app extends this with its own. */
export class BaseServiceConfig {
  /** Databases, blobs, snapshots, keys, logs and the admin credentials live here. */
  @EnvVar('SILO_HOME')
  @IsString()
  @MinLength(1)
  home: string = resolve('.silo');

  @EnvVar('SILO_NATS_URL')
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,\s*(nats|tls|ws|wss):\/\/[^\s,]+)*$/, {
    message: 'must be a NATS URL such as nats://127.0.0.1:4222 (comma-separated for a cluster)',
  })
  natsUrl = 'nats://127.0.0.1:4222';

  @EnvVar('SILO_LOG_LEVEL')
  @IsIn(LOG_LEVELS)
  logLevel: LogLevel = 'info';

  /** Timeout of every NATS request this service makes. */
  @EnvVar('SILO_NATS_TIMEOUT_MS')
  @IsInt()
  @Min(100)
  @Max(120_000)
  natsTimeoutMs = 5000;

  /** Address the HTTP services listen on. */
  @EnvVar('SILO_BIND_HOST')
  @IsString()
  @MinLength(1)
  bindHost = '0.0.0.0';

  /** How long a graceful shutdown may take before the process exits anyway. */
  @EnvVar('SILO_SHUTDOWN_TIMEOUT_MS')
  @IsInt()
  @Min(100)
  @Max(300_000)
  shutdownTimeoutMs = 10_000;
}

