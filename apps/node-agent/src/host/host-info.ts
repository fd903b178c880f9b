import { Injectable } from '@nestjs/common';
import type { CgroupMode } from '@silo/contracts';
import { statfsSync } from 'node:fs';
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
