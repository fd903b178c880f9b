import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stopProcess, track } from './child-processes';
import { freePort } from './free-port';
import { NatsServerHandle, startNatsServer } from './nats-server';
import { makeTempDir, TempDir } from './temp-dir';
import { waitFor } from './wait-for';

export interface SiloRegistryOptions {
  /** Extra SILO_* settings for both services (e.g. SILO_REGISTRY_BLOB_DELIVERY=proxy). */
  env?: Record<string, string>;
  /** Wait at most this long for both services' /healthz (default 60 s). */
  startTimeoutMs?: number;
}

export interface SiloRegistryHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, for image references (`${host}/team/app:v1`). */
  host: string;
  layerStoreUrl: string;
  natsUrl: string;
  /** The temp SILO_HOME (removed on stop). */
  home: string;
  /** The admin account, as written to `$SILO_HOME/admin-credentials.json`. */
  credentials: { username: string; password: string };
  /** `username:password`, for skopeo's --creds. */
  creds: string;
  /** The last 16 KiB of each service's output. */
  logs(): { registry: string; layerStore: string };
  /** Stops the registry, the layer store and NATS (SIGTERM, then SIGKILL) and removes SILO_HOME. */
  stop(): Promise<void>;
}

/** The workspace root: the nearest parent with nx.json (from libs/testing/src or dist/libs/testing/src). */
function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace root (nx.json) above ${from}`);
  }
}

function startService(root: string, service: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const main = join(root, 'dist', 'apps', service, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (node tools/build/build.mjs --skip-native, or npm run build)`);
  const child = track(spawn(process.execPath, ['--enable-source-maps', main], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const append = (d: Buffer) => (output = (output + d.toString()).slice(-16_384));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { child, output: () => output };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Silo's own registry for integration tests, as real processes from dist/: a nats-server, the
 * layer store and the registry on free loopback ports, in a temp SILO_HOME whose
 * admin-credentials.json is written first (as the api would), so the admin can push and pull.
 * Resolves once both answer /healthz with 200. The services watch this process
 * (SILO_PARENT_PID) and stop by themselves if it dies without calling stop().
 */
export async function startSiloRegistry(options: SiloRegistryOptions = {}): Promise<SiloRegistryHandle> {
  const root = workspaceRoot();
  const home: TempDir = await makeTempDir('silo-registry-home-');
  let nats: NatsServerHandle | undefined;
  const children: ChildProcess[] = [];
  const outputs: Record<string, () => string> = {};
  const stop = async () => {
    for (const child of children.reverse()) await stopProcess(child, 10_000);
    await nats?.stop();
    await home.cleanup();
  };
  try {
    nats = await startNatsServer({ jetstream: true });
    const credentials = { username: 'admin', password: randomBytes(18).toString('base64url') };
    const [registryPort, layerStorePort] = [await freePort(), await freePort()];
    await mkdir(home.path, { recursive: true, mode: 0o700 });
    await writeFile(
      join(home.path, 'admin-credentials.json'),
      `${JSON.stringify({ ...credentials, apiUrl: 'http://127.0.0.1:0', registry: `127.0.0.1:${registryPort}`, createdAt: new Date().toISOString() }, null, 2)}\n`,
      { mode: 0o600 },
    );
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('SILO_') && v !== undefined)) as Record<string, string>;
    const env: Record<string, string> = {
      ...inherited,
      SILO_HOME: home.path,
      SILO_NATS_URL: nats.url,
      SILO_LOG_LEVEL: 'warn',
      SILO_BIND_HOST: '127.0.0.1',
      SILO_REGISTRY_PORT: String(registryPort),
      SILO_LAYER_STORE_PORT: String(layerStorePort),
      SILO_LAYER_STORE_URL: `http://127.0.0.1:${layerStorePort}`,
      SILO_PARENT_PID: String(process.pid),
      NO_COLOR: '1',
      ...options.env,
    };
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const layerStoreUrl = `http://127.0.0.1:${layerStorePort}`;
    const url = `http://127.0.0.1:${registryPort}`;
    // One after the other: both create signing keys under SILO_HOME/keys on first start.
    for (const [service, base] of [
      ['layer-store', layerStoreUrl],
      ['registry', url],
    ] as const) {
      const started = startService(root, service, env);
      children.push(started.child);
      outputs[service] = started.output;
      await waitFor(
        async () => {
          if (started.child.exitCode !== null) throw new Error(`${service} exited (${started.child.exitCode}): ${started.output().slice(-3000)}`);
          return healthy(base);
        },
        { timeoutMs, intervalMs: 100, description: `${service} /healthz at ${base}` },
      );
    }
    return {
      url,
      host: `127.0.0.1:${registryPort}`,
      layerStoreUrl,
      natsUrl: nats.url,
      home: home.path,
      credentials,
      creds: `${credentials.username}:${credentials.password}`,
      logs: () => ({ registry: outputs['registry']?.() ?? '', layerStore: outputs['layer-store']?.() ?? '' }),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
