import { isRepositoryName, isTag, parseImageReference } from './image-reference';

describe('repository names and tags (OCI grammar)', () => {
  it.each(['a', 'team/app', 'a.b_c__d-e---f/g', 'x'.repeat(255)])('accepts name %p', (n) => expect(isRepositoryName(n)).toBe(true));
  it.each(['', 'A', 'a/', '/a', 'a//b', '../etc', 'a/../b', 'a..b', 'a_-b', 'x'.repeat(256), 'a%2fb'])('rejects name %p', (n) =>
    expect(isRepositoryName(n)).toBe(false),
  );
  it.each(['latest', 'v1.0', '_x', 'A-b.c_d', 'x'.repeat(128)])('accepts tag %p', (t) => expect(isTag(t)).toBe(true));
  it.each(['', '.x', '-x', 'a/b', 'x'.repeat(129), 'a:b'])('rejects tag %p', (t) => expect(isTag(t)).toBe(false));
});

describe('parseImageReference', () => {
  it('parses registry, repository, tag and digest', () => {
    expect(parseImageReference('localhost:5000/team/app:1.0')).toEqual({ registry: 'localhost:5000', repository: 'team/app', tag: '1.0', digest: undefined });
    expect(parseImageReference('app')).toEqual({ registry: undefined, repository: 'app', tag: 'latest', digest: undefined });
    const d = 'sha256:' + 'a'.repeat(64);
    expect(parseImageReference(`r.io/a/b@${d}`)).toEqual({ registry: 'r.io', repository: 'a/b', tag: undefined, digest: d });
  });
  it('rejects bad references', () => {
    expect(() => parseImageReference('UPPER/app')).toThrow(/invalid repository name/);
    expect(() => parseImageReference('app:bad tag')).toThrow(/invalid tag/);
  });
});
