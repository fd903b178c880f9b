import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, stopProcess, track, waitFor } from '@silo/testing';

export const ROOT = resolve(__dirname, '../../..');
export const LAUNCHER = join(ROOT, 'dist/tools/launcher/src/main.js');
export const SILO_BIN = join(ROOT, 'apps/cli/bin/silo.js');

export interface Ports {
  nats: number;
  registry: number;
  layerStore: number;
  api: number;
}

export async function freePorts(): Promise<Ports> {
  return { nats: await freePort(), registry: await freePort(), layerStore: await freePort(), api: await freePort() };
}

export function platformEnv(home: string, ports: Ports): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    SILO_HOME: home,
    SILO_NATS_PORT: String(ports.nats),
    SILO_REGISTRY_PORT: String(ports.registry),
    SILO_LAYER_STORE_PORT: String(ports.layerStore),
    SILO_API_PORT: String(ports.api),
    NO_COLOR: '1',
  };
}

/** The platform as `npm start` runs it (after its build step), with output captured. */
export class Platform {
  output = '';
  private child?: ChildProcess;

  constructor(
    readonly home: string,
    readonly ports: Ports,
  ) {}

  async start(): Promise<void> {
    if (!existsSync(LAUNCHER)) throw new Error('dist/ is missing: run npm run build first (npm test does it)');
    this.output = '';
    const child = track(spawn(process.execPath, [LAUNCHER], { env: platformEnv(this.home, this.ports), stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}:\n${this.output}`);
        // the banner's last line: the credentials above it have been printed too
        return this.output.includes('Silo is up') && this.output.includes('Stop it with: Ctrl-C');
      },
      { timeoutMs: 90_000, intervalMs: 200, description: `the "Silo is up" banner (output so far:\n${this.output.slice(-3000)})` },
    );
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  childPids(): Record<string, number> {
    return (JSON.parse(readFileSync(join(this.home, 'launcher.json'), 'utf8')) as { children: Record<string, number> }).children;
  }

  /** Ctrl-C: SIGINT to the launcher; resolves with its exit code. */
  async interrupt(): Promise<number | string> {
    if (!this.child) return 0;
    return stopProcess(this.child, 45_000, 'SIGINT');
  }

  /**
   * What a test must do before it stops the platform when it ran containers: remove every service
   * and job, and wait until the node agent has removed their containers (containers outlive their
   * agent by design, so stopping first would leave them running).
   */
  async removeWorkloads(timeoutMs = 60_000): Promise<void> {
    const creds = JSON.parse(readFileSync(join(this.home, 'admin-credentials.json'), 'utf8')) as { username: string; password: string };
    const headers = { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` };
    const api = `http://127.0.0.1:${this.ports.api}/api/v1`;
    const list = (await (await fetch(`${api}/services?all=true`, { headers })).json()) as { services?: Array<{ name: string; mode: string }> };
    for (const service of list.services ?? []) {
      await fetch(`${api}/${service.mode === 'job' ? 'jobs' : 'services'}/${service.name}`, { method: 'DELETE', headers });
    }
    // running ones have a monitor; exited ones (a finished job) still have their record until removed
    const records = join(this.home, 'node-agent', 'containers');
    await waitFor(() => containerMonitors(this.home).length === 0 && (!existsSync(records) || readdirSync(records).length === 0), {
      timeoutMs,
      intervalMs: 250,
      description: `the containers of ${this.home} to be removed`,
    });
  }
}

/** Pids of the container monitors (one per container) of the node agent in `home`. */
export function containerMonitors(home: string): number[] {
  const marker = `${join(home, 'node-agent', 'runtime')}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('silo-monitor') && cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export function silo(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [SILO_BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
