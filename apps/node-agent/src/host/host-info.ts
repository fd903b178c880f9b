import { Injectable } from '@nestjs/common';
import type { CgroupMode } from '@silo/contracts';
import { readFileSync, statfsSync } from 'node:fs';
import { arch, availableParallelism, hostname, release, totalmem } from 'node:os';
import { detectCgroupMode } from './cgroup-mode';

/** GOARCH-style names, as OCI image indexes use them. */
const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export interface HostFacts {
  hostname: string;
  os: 'linux';
  arch: string;
  kernel: string;
  cgroupMode: CgroupMode;
  cpuMillis: number;
  memoryBytes: number;
}

/** What this host is and has: the one place the agent reads it from the OS. */
@Injectable()
export class HostInfo {
  facts(): HostFacts {
    return {
      hostname: hostname(),
      os: 'linux',
      arch: OCI_ARCH[arch()] ?? arch(),
      kernel: release(),
      cgroupMode: detectCgroupMode((path) => {
        try {
          return statfsSync(path).type;
        } catch {
          return undefined;
        }
      }),
      cpuMillis: availableParallelism() * 1000,
      memoryBytes: totalmem(),
    };
  }
}

/** This process's hard limit on open files (what a container it starts may get at most). */
export function maxOpenFilesHardLimit(fallback = 1_048_576): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.slice('Max open files'.length).trim().split(/\s+/)[1];
    if (hard === 'unlimited') return fallback;
    const value = Number(hard);
    return Number.isInteger(value) && value > 0 ? Math.min(value, fallback) : fallback;
  } catch {
    return fallback;
  }
}
