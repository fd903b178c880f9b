import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NetworkManager } from '../network/network-manager';

export interface AgentLeftovers {
  /** The agent's SILO_HOME (undefined when the test never got that far). */
  home: string | undefined;
  nodeId: string;
  runtime: string;
  cgroupParent: string;
  bridge: string;
  subnet: string;
  chains: string;
}

/**
 * For integration tests with real containers: removes whatever a test agent did not — containers,
 * mounts under its home, its cgroups, its bridge network and iptables chains, its run directory —
 * so that a failing test leaves the host as it found it.
 */
export async function removeAgentLeftovers(left: AgentLeftovers): Promise<void> {
  const runtimeRoot = join(left.home ?? '/nonexistent', 'node-agent/runtime');
  for (const id of existsSync(runtimeRoot) ? readdirSync(runtimeRoot) : []) {
    try {
      execFileSync(left.runtime, ['--root', runtimeRoot, 'delete', '--force', id], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  if (left.home) {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const mountPoint = line.split(' ')[4];
      if (mountPoint?.startsWith(left.home)) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    }
    for (const controller of readdirSync('/sys/fs/cgroup')) {
      for (const dir of [`/sys/fs/cgroup/${controller}${left.cgroupParent}`, `/sys/fs/cgroup/${controller}/silo`]) {
        try {
          execFileSync('rmdir', [dir], { stdio: 'ignore' });
        } catch {
          // not there, or still used by another agent
        }
      }
    }
    await new NetworkManager({ bridge: left.bridge, subnet: left.subnet, stateDir: join(left.home, 'node-agent/network'), chainPrefix: left.chains })
      .uninstall()
      .catch(() => undefined);
  }
  await rm(`/run/silo/${left.nodeId}`, { recursive: true, force: true });
  await rmdir('/run/silo').catch(() => undefined); // only when no other agent uses it
}
