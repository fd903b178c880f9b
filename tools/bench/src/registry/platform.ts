import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, stopProcess, track, waitFor } from '@silo/testing';
import { busyTicksFromProcStat, cpuTicksFromStat } from './stats';

/** The workspace root: the nearest parent with nx.json (works from tools/… and from dist/tools/…). */
export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace root (nx.json) above ${from}`);
  }
}

export interface PlatformPorts {
  nats: number;
  registry: number;
  layerStore: number;
  api: number;
}

export async function freePlatformPorts(): Promise<PlatformPorts> {
  return { nats: await freePort(), registry: await freePort(), layerStore: await freePort(), api: await freePort() };
}

export interface AdminCredentials {
  username: string;
  password: string;
}

/**
 * The Silo platform as `npm start` runs it (dist/tools/launcher), on the given ports and SILO_HOME.
 * The launcher runs in a process group of its own, so a Ctrl-C at the terminal reaches only the
 * benchmark, which then stops the launcher once (SIGINT: a graceful stop that exits 0).
 */
export class SiloPlatform {
  private output = '';
  private child?: ChildProcess;

  constructor(
    readonly home: string,
    readonly ports: PlatformPorts,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  get registryHost(): string {
    return `127.0.0.1:${this.ports.registry}`;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    const launcher = join(workspaceRoot(), 'dist/tools/launcher/src/main.js');
    if (!existsSync(launcher)) throw new Error(`${launcher} is missing: run npm run build first`);
    // Only our settings: an outer SILO_* (NATS URL, database URL, blob delivery…) would change what is measured.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SILO_'))) as Record<string, string>;
    const env: Record<string, string> = {
      ...inherited,
      SILO_HOME: this.home,
      SILO_NATS_PORT: String(this.ports.nats),
      SILO_REGISTRY_PORT: String(this.ports.registry),
      SILO_LAYER_STORE_PORT: String(this.ports.layerStore),
      SILO_API_PORT: String(this.ports.api),
      NO_COLOR: '1',
      ...this.extraEnv,
    };
    this.output = '';
    const child = track(spawn(process.execPath, [launcher], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
    this.child = child;
    let up = false;
    const append = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-64_000);
      up ||= this.output.includes('Silo is up');
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    try {
      await waitFor(
        () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the Silo launcher exited (${child.exitCode ?? child.signalCode}):\n${this.output.slice(-4000)}`);
          }
          return up;
        },
        { timeoutMs, intervalMs: 200, description: '"Silo is up" from the launcher' },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlauncher output (tail):\n${this.output.slice(-3000)}`);
    }
  }

  credentials(): AdminCredentials {
    return JSON.parse(readFileSync(join(this.home, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
  }

  /** The launcher's children by name (registry, layer-store, nats, …), from launcher.json. */
  childPids(): Record<string, number> {
    try {
      return (JSON.parse(readFileSync(join(this.home, 'launcher.json'), 'utf8')) as { children: Record<string, number> }).children;
    } catch {
      return {};
    }
  }

  logTail(chars = 3000): string {
    return this.output.slice(-chars);
  }

  /** Ctrl-C: SIGINT to the launcher; resolves with its exit code (SIGKILL after 45 s). */
  async stop(): Promise<number | string> {
    const child = this.child;
    if (!child) return 0;
    this.child = undefined;
    return stopProcess(child, 45_000, 'SIGINT');
  }
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    return cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).self / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's reaped children (the skopeo runs, once they have exited). */
export function reapedChildrenCpuSeconds(): number {
  try {
    return cpuTicksFromStat(readFileSync('/proc/self/stat', 'utf8')).children / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine so far (all CPUs: everything but idle and iowait), from /proc/stat. */
export function machineBusyCpuSeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    return busyTicksFromProcStat(line) / ticksPerSecond();
  } catch {
    return 0;
  }
}
