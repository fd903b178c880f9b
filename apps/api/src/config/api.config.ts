import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

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

  /** Comment lines on idle SSE streams and `{ "keepalive": true }` lines on idle followed logs. */
  @EnvVar('SILO_API_KEEPALIVE_MS')
  @IsInt()
  @Min(50)
  @Max(300_000)
  keepaliveMs = 15_000;

  /**
   * How long an agent follows a log stream per request; the api asks again while its client stays,
   * so a follower that vanished without a word costs an agent at most this long.
   */
  @EnvVar('SILO_API_LOG_FOLLOW_MS')
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  logFollowMs = 60_000;

  /** `top` reads every agent's cgroup counters twice, this far apart, to compute CPU use. */
  @EnvVar('SILO_API_TOP_SAMPLE_MS')
  @IsInt()
  @Min(50)
  @Max(10_000)
  topSampleMs = 500;

  /** The dashboard's build directory; default `<repo root>/dist/apps/dashboard`. */
  @EnvVar('SILO_DASHBOARD_DIR')
  @IsString()
  @MinLength(1)
  dashboardDir: string = defaultDashboardDir(__dirname);

  get apiUrl(): string {
    return this.publicUrl ?? `http://127.0.0.1:${this.port}`;
  }

  get registry(): string {
    return this.registryAddress ?? `127.0.0.1:${this.registryPort}`;
  }
}

/**
 * `<repo root>/dist/apps/dashboard`, found from this file's own location: it runs from
 * `dist/apps/api/src/config/` when built and from `apps/api/src/config/` in tests.
 */
export function defaultDashboardDir(here: string): string {
  const built = `${sep}dist${sep}apps${sep}api${sep}`;
  const source = `${sep}apps${sep}api${sep}`;
  let root: string | undefined;
  if (here.includes(built)) root = here.slice(0, here.lastIndexOf(built));
  else if (here.includes(source)) root = here.slice(0, here.lastIndexOf(source));
  if (root === undefined) {
    // Elsewhere (bundled): the nearest directory above with a package.json.
    let dir = here;
    while (dirname(dir) !== dir && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    root = dir;
  }
  return join(root, 'dist', 'apps', 'dashboard');
}
