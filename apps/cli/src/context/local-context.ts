import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ApiTarget {
  apiUrl: string;
  username?: string;
  password?: string;
  /** A session token from `silo login` (sent as Bearer; wins over username/password). */
  token?: string;
  /** The registry's address (host:port or URL), for `silo image push`. */
  registry?: string;
  /** The context's name, when the target came from one. */
  context?: string;
  /** Where the settings came from, for error messages. */
  source: string;
}

const CREDENTIALS = 'admin-credentials.json';

/**
 * Finds the local platform without flags: --home, $SILO_HOME, a `.silo` in the working directory
 * or any parent (the repository), then /var/lib/silo (an installed host).
 */
export function findSiloHome(flag: string | undefined, env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (flag) return resolve(cwd, flag);
  if (env['SILO_HOME']) return resolve(cwd, env['SILO_HOME']);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.silo', CREDENTIALS))) return join(dir, '.silo');
    if (dir === dirname(dir)) break;
  }
  return existsSync(join('/var/lib/silo', CREDENTIALS)) ? '/var/lib/silo' : undefined;
}

export function resolveApiTarget(
  options: { home?: string; api?: string },
  env: Record<string, string | undefined>,
  cwd: string,
): ApiTarget {
  const home = findSiloHome(options.home, env, cwd);
  let fromFile: Partial<ApiTarget> = {};
  let source = 'defaults';
  if (home && existsSync(join(home, CREDENTIALS))) {
    const file = join(home, CREDENTIALS);
    let parsed: { apiUrl?: string; username?: string; password?: string; registry?: string };
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
    } catch (err) {
      throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    fromFile = { apiUrl: parsed.apiUrl, username: parsed.username, password: parsed.password, registry: parsed.registry };
    source = file;
  } else if (options.home || env['SILO_HOME']) {
    throw new Error(`no ${CREDENTIALS} in ${home}: is this a Silo home? (npm start creates it on first start)`);
  }
  return {
    apiUrl: (options.api ?? env['SILO_API_URL'] ?? fromFile.apiUrl ?? 'http://127.0.0.1:7070').replace(/\/+$/, ''),
    username: env['SILO_USERNAME'] ?? fromFile.username,
    password: env['SILO_PASSWORD'] ?? fromFile.password,
    registry: env['SILO_REGISTRY'] ?? fromFile.registry,
    source,
  };
}
