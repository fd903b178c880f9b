/** The busybox OCI bundles the runtime benchmark runs under both runtimes. */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Bundles {
  rootfs: string;
  /** `runc spec` as written, with terminal false and args ["/bin/true"]: the default namespaces, cgroup /<id>, no limits. */
  plain: string;
  /** The same plus cgroup limits (memory, pids, cpu quota and shares): every runtime writes them. */
  limits: string;
  /** The plain bundle running `sleep 100000` (for the monitor, as the agent starts a container). */
  sleep: string;
}

const APPLETS = ['sh', 'true', 'sleep'];

type Spec = { process: { terminal?: boolean; args: string[] }; root: { path: string; readonly?: boolean }; linux: { resources?: Record<string, unknown> } };

async function writeBundle(dir: string, spec: Spec): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return dir;
}

/** Builds a busybox rootfs and three bundles from `runc spec` under DIR. */
export async function makeBundles(dir: string, runc: string, busybox = '/bin/busybox'): Promise<Bundles> {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) await mkdir(join(rootfs, sub), { recursive: true });
  await copyFile(busybox, join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\n');

  const specDir = join(dir, 'spec');
  await mkdir(specDir, { recursive: true });
  const result = spawnSync(runc, ['spec'], { cwd: specDir, encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`${runc} spec: ${(result.stderr || result.error?.message || `exit ${result.status}`).trim()}`);
  const base = JSON.parse(await readFile(join(specDir, 'config.json'), 'utf8')) as Spec;
  base.process.terminal = false;
  base.process.args = ['/bin/true'];
  base.root = { path: rootfs, readonly: base.root?.readonly ?? true };

  const limited: Spec = JSON.parse(JSON.stringify(base)) as Spec;
  limited.linux.resources = {
    ...(limited.linux.resources ?? {}),
    memory: { limit: 64 * 1024 * 1024 },
    pids: { limit: 64 },
    cpu: { shares: 512, quota: 50_000, period: 100_000 },
  };
  const sleeping: Spec = JSON.parse(JSON.stringify(base)) as Spec;
  sleeping.process.args = ['/bin/sleep', '100000'];
  return {
    rootfs,
    plain: await writeBundle(join(dir, 'bundle-plain'), base),
    limits: await writeBundle(join(dir, 'bundle-limits'), limited),
    sleep: await writeBundle(join(dir, 'bundle-sleep'), sleeping),
  };
}
