import { stopProcess, track, waitFor } from '@silo/testing';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ContainerdHandle {
  ctr(args: string[]): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

/**
 * A private containerd (Debian's package) with its own root, state and socket under `dir`, the CRI
 * plugin off, and the native snapshotter (no mounts to clean up).
 */
export async function startContainerd(dir: string): Promise<ContainerdHandle> {
  const socket = join(dir, 'c.sock');
  mkdirSync(join(dir, 'root'), { recursive: true });
  mkdirSync(join(dir, 'state'), { recursive: true });
  writeFileSync(
    join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      '  address = ""',
      '[metrics]',
      '  address = ""',
    ].join('\n'),
  );
  const child: ChildProcess = track(spawn('/usr/bin/containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const ctr = (args: string[]) => {
    const r = spawnSync('/usr/bin/ctr', ['--address', socket, '--namespace', 'silo-test', ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`containerd exited: ${log}`);
      return existsSync(socket) && ctr(['version']).code === 0;
    },
    { timeoutMs: 20_000, intervalMs: 200, description: 'containerd' },
  );
  return {
    ctr,
    async stop() {
      await stopProcess(child, 10_000);
    },
  };
}
