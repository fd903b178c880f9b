import { parseRoute } from './route';

const d = 'sha256:' + 'a'.repeat(64);

describe('parseRoute', () => {
  it.each([
    ['', { kind: 'base' }],
    ['/', { kind: 'base' }],
    ['/_catalog', { kind: 'catalog' }],
    ['/team/app/tags/list', { kind: 'tags', name: 'team/app' }],
    ['/team/app/manifests/v1', { kind: 'manifest', name: 'team/app', reference: 'v1', isDigest: false }],
    [`/team/app/manifests/${d}`, { kind: 'manifest', name: 'team/app', reference: d, isDigest: true }],
    [`/a/blobs/${d}`, { kind: 'blob', name: 'a', digest: d }],
    ['/a/blobs/uploads/', { kind: 'upload-start', name: 'a' }],
    ['/a/blobs/uploads', { kind: 'upload-start', name: 'a' }],
    ['/a/blobs/uploads/0f2c1d3e-1111-4222-8333-444455556666', { kind: 'upload', name: 'a', id: '0f2c1d3e-1111-4222-8333-444455556666' }],
    [`/a/referrers/${d}`, { kind: 'referrers', name: 'a', digest: d }],
    // a repository may itself be called "blobs" or "manifests"
    ['/x/blobs/manifests/latest', { kind: 'manifest', name: 'x/blobs', reference: 'latest', isDigest: false }],
  ])('%s', (path, route) => expect(parseRoute(path)).toEqual(route));

  it('is undefined for paths that are not endpoints', () => {
    expect(parseRoute('/a/b')).toBeUndefined();
    expect(parseRoute('/a/manifests/')).toBeUndefined();
  });

  it.each([
    ['/../etc/manifests/latest', 'NAME_INVALID'],
    ['/a/..%2f..%2fetc/manifests/latest', 'NAME_INVALID'],
    ['/UPPER/manifests/latest', 'NAME_INVALID'],
    ['/a/manifests/bad%2Ftag', 'MANIFEST_INVALID'],
    ['/a/manifests/sha256:1234', 'DIGEST_INVALID'],
    ['/a/blobs/sha256:..%2F..%2Fpasswd', 'DIGEST_INVALID'],
    ['/a/blobs/uploads/..%2F..', 'BLOB_UPLOAD_UNKNOWN'],
  ])('refuses %s with %s', (path, code) => {
    expect(() => parseRoute(path)).toThrow(expect.objectContaining({ code }));
  });
});
