import type { CgroupMode } from '@silo/contracts';

export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const TMPFS_MAGIC = 0x01021994;

/** statfs(2)'s f_type for a path, or undefined when the path does not exist. */
export type FsTypeOf = (path: string) => number | undefined;

/**
 * v2: /sys/fs/cgroup is cgroup2. hybrid: v1 controllers on a tmpfs with a cgroup2 mount at
 * /sys/fs/cgroup/unified. v1: controllers only. none: no cgroup filesystem at all.
 */
export function detectCgroupMode(fsTypeOf: FsTypeOf, root = '/sys/fs/cgroup'): CgroupMode {
  const rootType = fsTypeOf(root);
  if (rootType === CGROUP2_SUPER_MAGIC) return 'v2';
  if (rootType === undefined) return 'none';
  if (rootType === TMPFS_MAGIC && fsTypeOf(`${root}/unified`) === CGROUP2_SUPER_MAGIC) return 'hybrid';
  if (rootType === TMPFS_MAGIC || rootType === CGROUP_SUPER_MAGIC) return 'v1';
  return 'none';
}
