import { makeTempDir } from '@silo/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CgroupStatsReader } from './cgroup-stats.reader';

describe('CgroupStatsReader (fake cgroupfs)', () => {
  let root: string;
  beforeEach(async () => {
    root = (await makeTempDir('cgroupfs-')).path;
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  function write(path: string, content: string): void {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }

  it('reads v2: cpu.stat, memory.current/max, pids, memory.events oom_kill', async () => {
    write('silo/n/t/cpu.stat', 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
    write('silo/n/t/memory.current', '4096\n');
    write('silo/n/t/memory.max', '67108864\n');
    write('silo/n/t/pids.current', '3\n');
    write('silo/n/t/pids.max', 'max\n');
    write('silo/n/t/memory.events', 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    const reader = new CgroupStatsReader('v2', root);
    expect(await reader.read('/silo/n/t')).toEqual({ cpuUsageNs: 1_500_000, memoryBytes: 4096, memoryLimitBytes: 67_108_864, pids: 3, pidsLimit: -1, oomKills: 1 });
    expect(reader.oomFile('/silo/n/t')).toBe(join(root, 'silo/n/t/memory.events'));
  });

  it('reads v1 and hybrid: one tree per controller, the huge "unlimited" value as -1', async () => {
    write('cpuacct/silo/n/t/cpuacct.usage', '123456\n');
    write('memory/silo/n/t/memory.usage_in_bytes', '8192\n');
    write('memory/silo/n/t/memory.limit_in_bytes', '9223372036854771712\n');
    write('memory/silo/n/t/memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    write('pids/silo/n/t/pids.current', '1\n');
    write('pids/silo/n/t/pids.max', '64\n');
    for (const mode of ['v1', 'hybrid'] as const) {
      const reader = new CgroupStatsReader(mode, root);
      expect(await reader.read('/silo/n/t')).toEqual({ cpuUsageNs: 123456, memoryBytes: 8192, memoryLimitBytes: -1, pids: 1, pidsLimit: 64, oomKills: 2 });
      expect(reader.oomFile('/silo/n/t')).toBe(join(root, 'memory/silo/n/t/memory.oom_control'));
    }
  });
});
