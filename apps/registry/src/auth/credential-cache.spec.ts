import { CredentialCache } from './credential-cache';

function cache(ttlMs = 30_000, maxEntries?: number) {
  let now = 1000;
  const c = new CredentialCache({ ttlMs, maxEntries, nowMs: () => now });
  return { c, advance: (ms: number) => (now += ms) };
}

describe('CredentialCache', () => {
  it('keys by the sha256 of the header, never the header itself', () => {
    const key = CredentialCache.key('Basic YWxpY2U6c2VjcmV0');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('YWxpY2U6c2VjcmV0');
    expect(CredentialCache.key('Basic YWxpY2U6c2VjcmV0')).toBe(key);
    expect(CredentialCache.key('Basic YWxpY2U6c2VjcmV1')).not.toBe(key);
  });

  it('remembers a verification until its time is up', () => {
    const { c, advance } = cache(30_000);
    c.set('k', { account: 'alice', secretHash: 'h' }, c.generation('alice'));
    expect(c.get('k')).toEqual({ account: 'alice', secretHash: 'h' });
    advance(29_999);
    expect(c.get('k')).toBeDefined();
    advance(1);
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('forgets every entry of an account at once, and only that account', () => {
    const { c } = cache();
    c.set('a1', { account: 'alice', secretHash: 'h' }, c.generation('alice'));
    c.set('a2', { account: 'alice', secretHash: 'h' }, c.generation('alice'));
    c.set('b1', { account: 'bob', secretHash: 'h' }, c.generation('bob'));
    c.forget('alice');
    expect(c.get('a1')).toBeUndefined();
    expect(c.get('a2')).toBeUndefined();
    expect(c.get('b1')).toBeDefined();
  });

  it('does not remember a verification that was in flight while its account changed', () => {
    const { c } = cache();
    const generation = c.generation('alice'); // a slow password check starts…
    c.forget('alice'); // …the account is deleted meanwhile…
    c.set('k', { account: 'alice', secretHash: 'h' }, generation); // …and its result arrives
    expect(c.get('k')).toBeUndefined();
    c.set('k', { account: 'alice', secretHash: 'h' }, c.generation('alice'));
    expect(c.get('k')).toBeDefined();
  });

  it('caches nothing with a zero lifetime, and drops the oldest entries beyond its size', () => {
    const off = cache(0).c;
    off.set('k', { account: 'alice', secretHash: 'h' }, 0);
    expect(off.get('k')).toBeUndefined();
    const { c } = cache(30_000, 2);
    c.set('1', { account: 'a', secretHash: 'h' }, 0);
    c.set('2', { account: 'b', secretHash: 'h' }, 0);
    c.set('3', { account: 'c', secretHash: 'h' }, 0);
    expect(c.size).toBe(2);
    expect(c.get('1')).toBeUndefined();
    expect(c.get('3')).toBeDefined();
  });
});
