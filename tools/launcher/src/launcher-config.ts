import { resolve } from 'node:path';

export interface LauncherConfig {
  home: string;
  /** Set when SILO_NATS_URL points at an existing NATS; otherwise the launcher starts one. */
  externalNatsUrl?: string;
  natsPort: number;
  registryPort: number;
  layerStorePort: number;
  apiPort: number;
  /** How long to wait for the platform to report healthy before saying so. */
  readyTimeoutMs: number;
}

function port(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name}="${raw}": must be a port number (1-65535)`);
  return value;
}

export function loadLauncherConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): LauncherConfig {
  const externalNatsUrl = env['SILO_NATS_URL'] || undefined;
  if (externalNatsUrl && !/^(nats|tls|ws|wss):\/\//.test(externalNatsUrl)) {
    throw new Error(`SILO_NATS_URL="${externalNatsUrl}": must be a NATS URL such as nats://127.0.0.1:4222`);
  }
  const ready = env['SILO_READY_TIMEOUT_MS'] ? Number(env['SILO_READY_TIMEOUT_MS']) : 90_000;
  if (!Number.isInteger(ready) || ready < 1000) throw new Error('SILO_READY_TIMEOUT_MS: must be an integer ≥ 1000');
  return {
    home: resolve(cwd, env['SILO_HOME'] || '.silo'),
    externalNatsUrl,
    natsPort: port(env, 'SILO_NATS_PORT', 4222),
    registryPort: port(env, 'SILO_REGISTRY_PORT', 5000),
    layerStorePort: port(env, 'SILO_LAYER_STORE_PORT', 7071),
    apiPort: port(env, 'SILO_API_PORT', 7070),
    readyTimeoutMs: ready,
  };
}
