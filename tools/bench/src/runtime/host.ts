/** What the runtime benchmark reads from and removes on the host: /proc, mounts, cgroups, runtime state. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { kibField } from './stats';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface ProcessMemory {
  pid: number;
  rssKiB: number;
  pssKiB?: number;
  privateKiB?: number;
}

/** VmRSS from /proc/PID/status, Pss and private pages from /proc/PID/smaps_rollup; undefined when the process is gone. */
export function processMemory(pid: number): ProcessMemory | undefined {
  const status = read(`/proc/${pid}/status`);
  const rss = status ? kibField(status, 'VmRSS') : undefined;
  if (rss === undefined) return undefined;
  const rollup = read(`/proc/${pid}/smaps_rollup`) ?? '';
  const pss = kibField(rollup, 'Pss');
  const clean = kibField(rollup, 'Private_Clean');
  const dirty = kibField(rollup, 'Private_Dirty');
  return { pid, rssKiB: rss, pssKiB: pss, privateKiB: clean !== undefined && dirty !== undefined ? clean + dirty : undefined };
}

/** Alive and not a zombie. */
export function processRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

export function processCommand(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
}

export function readPidFile(path: string): number | undefined {
  const pid = Number.parseInt((read(path) ?? '').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** MemAvailable of /proc/meminfo, KiB. */
export function memAvailableKiB(): number | undefined {
  return kibField(read('/proc/meminfo') ?? '', 'MemAvailable');
}

/** Mount points at or under any of the prefixes (deepest last, as listed). */
export function mountsUnder(prefixes: string[]): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return (read('/proc/self/mountinfo') ?? '')
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((mp) => mp && prefixes.some((p) => mp === p || mp.startsWith(`${p}/`)));
}

/** Lazily unmounts every mount under the prefixes, deepest first. Returns how many. */
export function unmountUnder(prefixes: string[]): number {
  const mounts = mountsUnder(prefixes).reverse();
  for (const mp of mounts) spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
  return mounts.length;
}

/** The mounted cgroup hierarchies: /sys/fs/cgroup/<name> directories (v1 controllers, `unified`), or the root on v2. */
export function cgroupHierarchies(): string[] {
  const root = '/sys/fs/cgroup';
  if (existsSync(join(root, 'cgroup.controllers'))) return [root];
  try {
    return readdirSync(root)
      .map((name) => join(root, name))
      .filter((dir) => {
        try {
          return statSync(dir).isDirectory() && existsSync(join(dir, 'cgroup.procs'));
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Directories at and under PATH (a cgroup path like /silo/node) in every hierarchy, deepest first. */
export function cgroupDirs(path: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) walk(join(dir, name));
    found.push(dir);
  };
  for (const hierarchy of cgroupHierarchies()) {
    const dir = join(hierarchy, path);
    if (existsSync(dir)) walk(dir);
  }
  return found;
}

/**
 * Removes the cgroup directories at and under PATH (deepest first), after killing what is left in
 * them. Only for cgroups this benchmark made. Returns how many directories it removed.
 */
export function removeCgroups(path: string): number {
  let removed = 0;
  for (const dir of cgroupDirs(path)) {
    for (const pid of (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdirSync(dir);
        removed++;
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        spawnSync('sleep', ['0.02']);
      }
    }
  }
  return removed;
}

/** Removes PATH's directory in every hierarchy when it is empty (a shared parent like /silo). */
export function removeEmptyCgroup(path: string): void {
  for (const hierarchy of cgroupHierarchies()) {
    try {
      rmdirSync(join(hierarchy, path));
    } catch {
      // not there, or still used by someone else
    }
  }
}

/** `delete --force` of every container in a runtime's state root. Returns the ids it deleted. */
export function deleteAllContainers(runtime: string, root: string): string[] {
  let ids: string[] = [];
  try {
    ids = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory());
  } catch {
    return [];
  }
  for (const id of ids) spawnSync(runtime, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
  return ids;
}

/** The busiest other processes right now (for the report's "what else was running"). */
export function busiestProcesses(exclude: Set<number>, count = 5): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,pcpu=,rss=,comm=', '--sort=-pcpu'], { encoding: 'utf8' });
  return (ps.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !exclude.has(Number(f[0])) && Number(f[1]) >= 1)
    .slice(0, count)
    .map((f) => `${f.slice(3).join(' ')} (pid ${f[0]}, ${f[1]}% cpu)`);
}

export function machine(): { cpus: number; cpuModel: string; loadAvg: number[]; kernel: string } {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? '',
    loadAvg: loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: (read('/proc/sys/kernel/osrelease') ?? '').trim(),
  };
}
