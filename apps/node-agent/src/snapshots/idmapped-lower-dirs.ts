import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandRunner } from './command-runner';
import { MountError } from './errors/snapshot-errors';
import { Mounter, SystemMounter } from './mounter';
import type { LowerDirTransform } from './overlay-snapshotter';

export interface IdMap {
  /** Host id that container id 0 maps to. */
  hostId: number;
  /** How many ids are mapped. */
  size: number;
}

/**
 * Hardened mode's lower dirs: each shared snapshot bind-mounted, read-only and id-mapped
 * (`silo-runtime idmap-mount`), at `<agentHome>/containers/<id>/lower/<n>`, so that a file owned
 * by uid U in the image shows as host uid hostId+U, and as U inside the container's user
 * namespace. The snapshots themselves stay shared and unchanged.
 */
export class IdmappedLowerDirs implements LowerDirTransform {
  constructor(
    private readonly runtimeBinary: string,
    private readonly agentHome: string,
    private readonly idmap: IdMap,
    private readonly runner = new CommandRunner(),
    private readonly mounter: Mounter = new SystemMounter(runner),
  ) {}

  private lowerRoot(containerId: string): string {
    return join(this.agentHome, 'containers', containerId, 'lower');
  }

  async apply(containerId: string, lowerDirs: string[]): Promise<string[]> {
    const root = this.lowerRoot(containerId);
    const map = `0:${this.idmap.hostId}:${this.idmap.size}`;
    const out: string[] = [];
    for (const [i, dir] of lowerDirs.entries()) {
      const target = join(root, String(i));
      await mkdir(target, { recursive: true, mode: 0o700 });
      if (!(await this.mounter.isMounted(target))) {
        const result = await this.runner.run(this.runtimeBinary, ['idmap-mount', '--uid-map', map, '--gid-map', map, '--read-only', dir, target], { timeoutMs: 30_000 });
        if (result.code !== 0) {
          await this.release(containerId).catch(() => undefined);
          throw new MountError(`idmapped mount of ${dir} failed: ${result.stderr.trim() || `exit ${result.code}`}`, { containerId });
        }
      }
      out.push(target);
    }
    return out;
  }

  async release(containerId: string): Promise<void> {
    await releaseLowerMounts(this.lowerRoot(containerId), this.mounter);
  }
}

/** Unmounts every `<lowerRoot>/<n>` and removes the directory. */
export async function releaseLowerMounts(lowerRoot: string, mounter: Mounter): Promise<void> {
  let names: string[];
  try {
    names = await readdir(lowerRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names) await mounter.unmount(join(lowerRoot, name));
  // Only after every unmount: rm must never walk into a still-mounted snapshot.
  for (const name of names) if (await mounter.isMounted(join(lowerRoot, name))) throw new MountError(`${join(lowerRoot, name)} is still mounted`);
  await rm(lowerRoot, { recursive: true, force: true });
}
