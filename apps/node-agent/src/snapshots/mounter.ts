import { readFile } from 'node:fs/promises';
import { CommandRunner } from './command-runner';
import { MountError } from './errors/snapshot-errors';

export interface OverlayMount {
  /** Top layer first. Relative paths are resolved against `cwd`. */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Working directory of the mount call: relative lowerdirs keep the option string short. */
  cwd?: string;
}

/** mount(2)'s data is one page: the overlay options must fit. */
export const MAX_MOUNT_OPTIONS = 4095;

/** The mount syscalls the snapshotter needs, behind an interface so tests of its logic can fake them. */
export interface Mounter {
  mountOverlay(target: string, overlay: OverlayMount): Promise<void>;
  /** Unmounts; when the mount is busy, detaches it lazily (MNT_DETACH). No error when not mounted. */
  unmount(target: string): Promise<void>;
  isMounted(target: string): Promise<boolean>;
}

/** Mount points as /proc/self/mountinfo lists them (octal escapes decoded). */
export function parseMountInfo(text: string): Array<{ mountPoint: string; fsType: string; source: string; options: string }> {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: Array<{ mountPoint: string; fsType: string; source: string; options: string }> = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    const fields = (left ?? '').split(' ');
    const tail = (right ?? '').split(' ');
    out.push({ mountPoint: unescape(fields[4] ?? ''), fsType: tail[0] ?? '', source: unescape(tail[1] ?? ''), options: tail[2] ?? '' });
  }
  return out;
}

/** Builds overlayfs's option string, refusing paths it cannot carry. */
export function overlayOptions(overlay: OverlayMount): string {
  for (const dir of [...overlay.lowerDirs, overlay.upperDir, overlay.workDir]) {
    if (/[,:\\\n]/.test(dir)) throw new MountError(`overlay path "${dir}" contains ',', ':' or '\\', which mount options cannot carry`);
  }
  if (overlay.lowerDirs.length === 0) throw new MountError('an overlay needs at least one lower directory');
  const options = `lowerdir=${overlay.lowerDirs.join(':')},upperdir=${overlay.upperDir},workdir=${overlay.workDir}`;
  if (options.length > MAX_MOUNT_OPTIONS) {
    throw new MountError(`overlay options are ${options.length} bytes, more than mount(2) takes (${MAX_MOUNT_OPTIONS}): too many layers (${overlay.lowerDirs.length})`);
  }
  return options;
}

/** util-linux `mount` / `umount` and /proc/self/mountinfo. */
export class SystemMounter implements Mounter {
  constructor(
    private readonly runner = new CommandRunner(),
    private readonly mountInfoPath = '/proc/self/mountinfo',
  ) {}

  async mountOverlay(target: string, overlay: OverlayMount): Promise<void> {
    const options = overlayOptions(overlay);
    const result = await this.runner.run('mount', ['-t', 'overlay', 'overlay', '-o', options, target], { cwd: overlay.cwd, timeoutMs: 30_000 });
    if (result.code !== 0) throw new MountError(`overlay mount on ${target} failed: ${result.stderr.trim() || `exit ${result.code}`}`, { target });
  }

  async unmount(target: string): Promise<void> {
    if (!(await this.isMounted(target))) return;
    const plain = await this.runner.run('umount', [target], { timeoutMs: 30_000 });
    if (plain.code === 0 && !(await this.isMounted(target))) return;
    const lazy = await this.runner.run('umount', ['-l', target], { timeoutMs: 30_000 });
    if (lazy.code !== 0 && (await this.isMounted(target))) {
      throw new MountError(`unmounting ${target} failed: ${lazy.stderr.trim() || plain.stderr.trim()}`, { target });
    }
  }

  async isMounted(target: string): Promise<boolean> {
    const info = parseMountInfo(await readFile(this.mountInfoPath, 'utf8'));
    return info.some((m) => m.mountPoint === target);
  }
}
