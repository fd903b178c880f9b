import { hashSessionToken, isSessionToken, newSessionToken } from './session-token';

describe('session tokens', () => {
  it('are prefixed, 256 random bits, and different every time', () => {
    const a = newSessionToken();
    expect(a).toMatch(/^silo_s_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice('silo_s_'.length), 'base64url')).toHaveLength(32);
    expect(newSessionToken()).not.toBe(a);
    expect(isSessionToken(a)).toBe(true);
    expect(isSessionToken('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
  });

  it('are stored as their sha256, in hex', () => {
    expect(hashSessionToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashSessionToken('silo_s_x')).not.toBe(hashSessionToken('silo_s_y'));
  });
});
