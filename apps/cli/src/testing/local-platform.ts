import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Test support: a SILO_HOME whose generated admin credentials point at a stand-in api. */
export function localPlatformEnv(dir: string, apiUrl: string, registry = '127.0.0.1:5000'): Record<string, string> {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'admin-credentials.json'), JSON.stringify({ username: 'admin', password: 'pw', apiUrl, registry }));
  return { SILO_HOME: home, SILO_CONFIG_DIR: join(dir, 'config'), SILO_POLL_MS: '5' };
}
