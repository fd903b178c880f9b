import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopProcess, track } from '../child-processes';
import { findExecutable } from '../find-executable';
import { freePort } from '../free-port';
import { makeTempDir } from '../temp-dir';
import { waitFor } from '../wait-for';

export interface DistributionOptions {
  /** Default: a free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Storage root (kept on stop). Default: a temp dir, removed on stop. */
  root?: string;
  /** Default 'warn'. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Access log lines on stderr (default off). */
  accessLog?: boolean;
  /** Wait at most this long for `GET /v2/` (default 15 s). */
  startTimeoutMs?: number;
}

export interface DistributionHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, for image references (`docker://${host}/repo:tag`). */
  host: string;
  port: number;
  /** Filesystem storage root. */
  root: string;
  pid: number;
  /** The last 16 KiB of the registry's stderr (its log). */
  logs(): string;
  /** Stops the registry (SIGTERM, then SIGKILL) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * CNCF Distribution (Debian's `docker-registry`, 2.8) on a free loopback port: filesystem storage,
 * deletes enabled, no auth. The reference implementation to compare the Silo registry's
 * behaviour against, and the benchmark anchor.
 */
export async function startDistribution(options: DistributionOptions = {}): Promise<DistributionHandle> {
  const binary = findExecutable('docker-registry') ?? findExecutable('registry');
  if (!binary) throw new Error('CNCF Distribution is not installed: apt-get install docker-registry');
  const port = options.port ?? (await freePort());
  const dir = await makeTempDir('silo-distribution-');
  const root = options.root ?? join(dir.path, 'storage');
  await mkdir(root, { recursive: true });
  const configPath = join(dir.path, 'config.yml');
  const config = [
    'version: 0.1',
    'log:',
    `  level: ${options.logLevel ?? 'warn'}`,
    '  accesslog:',
    `    disabled: ${!options.accessLog}`,
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(root)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n');
  await writeFile(configPath, config);

  // Distribution reads REGISTRY_* variables as configuration overrides: pass none of ours.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_') && !k.startsWith('OTEL_')));
  const child = track(spawn(binary, ['serve', configPath], { env, cwd: dir.path, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16_384)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    await dir.cleanup();
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
        try {
          const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: options.startTimeoutMs ?? 15_000, description: `docker-registry on port ${port}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    root,
    pid: child.pid ?? -1,
    logs: () => stderr,
    stop,
  };
}
