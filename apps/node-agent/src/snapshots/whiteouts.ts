import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { CommandRunner } from './command-runner';

/** A tar entry named `.wh.NAME` deletes NAME from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** A tar entry named `.wh..wh..opq` hides everything the layers below have in its directory. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Other `.wh..wh.` names are AUFS bookkeeping (hard-link dirs): dropped. */
export const AUFS_META_PREFIX = '.wh..wh.';
/** The xattr overlayfs reads to treat a lower directory as opaque. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export type WhiteoutKind = { kind: 'whiteout'; target: string } | { kind: 'opaque'; dir: string } | { kind: 'aufs-meta' } | { kind: 'none' };

/**
 * What a layer path means in OCI's whiteout convention. `path` is a normalized relative path
 * (`a/b/.wh.c`); the result names paths relative to the layer root ('' is the root itself).
 */
export function classifyWhiteout(path: string): WhiteoutKind {
  const name = posix.basename(path);
  if (!name.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  const parent = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (name === OPAQUE_MARKER) return { kind: 'opaque', dir: parent };
  if (name.startsWith(AUFS_META_PREFIX)) return { kind: 'aufs-meta' };
  const target = name.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') return { kind: 'aufs-meta' };
  return { kind: 'whiteout', target: parent ? `${parent}/${target}` : target };
}

const MAX_LINKS_PER_TEMPLATE = 60_000;

/**
 * Makes overlayfs whiteouts (character devices 0/0). Node cannot mknod, so one template device is
 * made with coreutils' `mknod` per agent start, and every whiteout is a hard link to it — what
 * overlayfs itself does for the whiteouts it creates. The templates live in the snapshot root
 * (same filesystem as every layer) and a fresh one is made when a template's link count runs out.
 */
export class OverlayWhiteouts {
  private template?: Promise<string>;
  private links = 0;

  constructor(
    /** A directory on the same filesystem as the layers (the snapshot root). */
    private readonly dir: string,
    private readonly runner = new CommandRunner(),
  ) {}

  /** Creates a whiteout at `path` (whose parent exists and which does not). */
  async create(path: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const template = await this.currentTemplate();
      try {
        await link(template, path);
        this.links += 1;
        if (this.links >= MAX_LINKS_PER_TEMPLATE) this.template = undefined;
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'EMLINK' || code === 'ENOENT') && attempt < 2) {
          this.template = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  /** Checks that a whiteout device can be made here (mknod present, root). */
  async check(): Promise<void> {
    await this.currentTemplate();
  }

  private currentTemplate(): Promise<string> {
    if (!this.template) {
      const made = this.makeTemplate();
      this.template = made;
      made.catch(() => {
        if (this.template === made) this.template = undefined;
      });
    }
    return this.template;
  }

  private async makeTemplate(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    // Templates of earlier runs: their links stay valid without them.
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.whiteout-')) await rm(join(this.dir, name), { force: true });
    }
    const path = join(this.dir, `.whiteout-${randomUUID()}`);
    await this.runner.check('mknod', ['-m', '0000', path, 'c', '0', '0']);
    const st = await lstat(path);
    if (!st.isCharacterDevice() || st.rdev !== 0) throw new Error(`${path} is not a 0/0 character device`);
    this.links = 0;
    return path;
  }
}

export interface XattrSetting {
  /** Path relative to the directory given to `apply`. */
  path: string;
  name: string;
  value: Buffer;
}

/** Octal-escapes everything but a safe set, as getfattr --dump does (setfattr --restore unescapes). */
function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._/+@%:-]/.test(c) ? c : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * Sets extended attributes in batches, with one `setfattr --restore=-` (Debian's `attr` package)
 * per call: Node has no setxattr. Used for opaque directories and the xattrs a layer carries.
 */
export class XattrWriter {
  constructor(private readonly runner = new CommandRunner()) {}

  async apply(dir: string, settings: readonly XattrSetting[]): Promise<void> {
    if (settings.length === 0) return;
    const dump = settings
      .map((s) => {
        if (!/^[a-zA-Z0-9._-]+$/.test(s.name)) throw new Error(`invalid xattr name "${s.name}"`);
        return `# file: ${escapePath(s.path)}\n${s.name}=0x${s.value.toString('hex')}\n`;
      })
      .join('\n');
    await this.runner.check('setfattr', ['--restore=-'], { cwd: dir, input: `${dump}\n`, timeoutMs: 60_000 });
  }

  /** Checks that setfattr is installed. */
  async check(): Promise<void> {
    await this.runner.check('setfattr', ['--version']);
  }
}
