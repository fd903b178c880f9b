import { createHash } from 'node:crypto';
import { chainIds, digestHex } from './chain-id';
import { classifyWhiteout } from './whiteouts';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('chainIds', () => {
  it('is the diffID for the bottom layer and sha256(parent + " " + diffID) above it', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    const ids = chainIds([a, b, c]);
    const second = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
    const third = `sha256:${createHash('sha256').update(`${second} ${c}`).digest('hex')}`;
    expect(ids).toEqual([a, second, third]);
  });

  it('matches a fixed vector (computed with printf "A B" | sha256sum)', () => {
    const a = 'sha256:a4e5fe5d1eb3f8c1e1ec7e7e9b8f47e3f8fd1b1b0d40d1b7bb0bd50a6b0b1ba9';
    const b = 'sha256:0b5cbd3ba6a5cd5c7c1a06e06c1e6d0a1a87f6bbab8c83d0e9f1e2f8e5ee1d32';
    expect(chainIds([a, b])[1]).toBe('sha256:7fb64df18a43af907fbd7d2a6b464d1b5c9a47af6ea49960f37fd3ab04211a9a');
  });

  it('keys the same layer differently on a different base', () => {
    expect(chainIds([d('x'), d('top')])[1]).not.toBe(chainIds([d('y'), d('top')])[1]);
  });

  it('refuses what is not a sha256 digest', () => {
    expect(() => chainIds(['sha512:abc'])).toThrow(/invalid diffID/);
    expect(() => digestHex('sha256:xyz')).toThrow(/invalid sha256 digest/);
  });
});

describe('classifyWhiteout', () => {
  it('reads OCI whiteout names', () => {
    expect(classifyWhiteout('etc/.wh.passwd')).toEqual({ kind: 'whiteout', target: 'etc/passwd' });
    expect(classifyWhiteout('.wh.top')).toEqual({ kind: 'whiteout', target: 'top' });
    expect(classifyWhiteout('var/cache/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'var/cache' });
    expect(classifyWhiteout('.wh..wh..opq')).toEqual({ kind: 'opaque', dir: '' });
    expect(classifyWhiteout('.wh..wh.plnk/123')).toEqual({ kind: 'none' });
    expect(classifyWhiteout('x/.wh..wh.plnk')).toEqual({ kind: 'aufs-meta' });
    expect(classifyWhiteout('etc/passwd')).toEqual({ kind: 'none' });
    expect(classifyWhiteout('etc/x.wh.y')).toEqual({ kind: 'none' });
  });
});
