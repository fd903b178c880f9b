import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, detectCgroupMode, TMPFS_MAGIC } from './cgroup-mode';

const fake = (types: Record<string, number>) => (path: string) => types[path];

describe('detectCgroupMode', () => {
  it('sees a unified (v2) host', () => {
    expect(detectCgroupMode(fake({ '/sys/fs/cgroup': CGROUP2_SUPER_MAGIC }))).toBe('v2');
  });
  it('sees a hybrid host: v1 controllers plus an empty unified mount', () => {
    expect(detectCgroupMode(fake({ '/sys/fs/cgroup': TMPFS_MAGIC, '/sys/fs/cgroup/unified': CGROUP2_SUPER_MAGIC }))).toBe('hybrid');
  });
  it('sees a v1-only host', () => {
    expect(detectCgroupMode(fake({ '/sys/fs/cgroup': TMPFS_MAGIC }))).toBe('v1');
    expect(detectCgroupMode(fake({ '/sys/fs/cgroup': CGROUP_SUPER_MAGIC }))).toBe('v1');
  });
  it('says none without a cgroup filesystem', () => {
    expect(detectCgroupMode(fake({}))).toBe('none');
    expect(detectCgroupMode(fake({ '/sys/fs/cgroup': 0xef53 }))).toBe('none');
  });
});
