import type { CgroupMode } from '@silo/contracts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupUsage {
  cpuUsageNs: number;
  memoryBytes: number;
  /** -1: unlimited. */
  memoryLimitBytes: number;
  pids: number;
  /** -1: unlimited. */
  pidsLimit: number;
  oomKills: number;
}

/** v1 reports "unlimited" memory as a huge page-aligned number. */
const V1_UNLIMITED = 2 ** 62;

/**
 * Reads a container's usage from its cgroup files, on v2 (one tree) and on v1 / hybrid (one tree
 * per controller). ROOT is normally /sys/fs/cgroup; tests point it at a fake tree.
 */
export class CgroupStatsReader {
  constructor(
    private readonly mode: CgroupMode,
    private readonly root = '/sys/fs/cgroup',
  ) {}

  /** The file whose `oom_kill N` line counts OOM kills in cgroup PATH. */
  oomFile(path: string): string | undefined {
    if (this.mode === 'v2') return join(this.root, path, 'memory.events');
    if (this.mode === 'v1' || this.mode === 'hybrid') return join(this.root, 'memory', path, 'memory.oom_control');
    return undefined;
  }

  async read(path: string): Promise<CgroupUsage> {
    return this.mode === 'v2' ? this.readV2(path) : this.readV1(path);
  }

  private async readV2(path: string): Promise<CgroupUsage> {
    const dir = join(this.root, path);
    const cpuStat = keyValues(await readOr(join(dir, 'cpu.stat'), ''));
    const events = keyValues(await readOr(join(dir, 'memory.events'), ''));
    return {
      cpuUsageNs: (cpuStat.usage_usec ?? 0) * 1000,
      memoryBytes: numberOr(await readOr(join(dir, 'memory.current'), '0'), 0),
      memoryLimitBytes: maxOr(await readOr(join(dir, 'memory.max'), 'max')),
      pids: numberOr(await readOr(join(dir, 'pids.current'), '0'), 0),
      pidsLimit: maxOr(await readOr(join(dir, 'pids.max'), 'max')),
      oomKills: events.oom_kill ?? 0,
    };
  }

  private async readV1(path: string): Promise<CgroupUsage> {
    const memory = join(this.root, 'memory', path);
    const limit = numberOr(await readOr(join(memory, 'memory.limit_in_bytes'), '-1'), -1);
    const oomControl = keyValues(await readOr(join(memory, 'memory.oom_control'), ''));
    return {
      cpuUsageNs: numberOr(await readOr(join(this.root, 'cpuacct', path, 'cpuacct.usage'), '0'), 0),
      memoryBytes: numberOr(await readOr(join(memory, 'memory.usage_in_bytes'), '0'), 0),
      memoryLimitBytes: limit >= V1_UNLIMITED ? -1 : limit,
      pids: numberOr(await readOr(join(this.root, 'pids', path, 'pids.current'), '0'), 0),
      pidsLimit: maxOr(await readOr(join(this.root, 'pids', path, 'pids.max'), 'max')),
      oomKills: oomControl.oom_kill ?? 0,
    };
  }
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return fallback;
  }
}

function numberOr(text: string, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : fallback;
}

function maxOr(text: string): number {
  return text === 'max' ? -1 : numberOr(text, -1);
}

export function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}
