import { DigestError, isDigest, parseDigest } from './digest';

const sha256 = 'sha256:' + 'a'.repeat(64);

describe('digests', () => {
  it('parses sha256 and sha512', () => {
    expect(parseDigest(sha256)).toEqual({ algorithm: 'sha256', encoded: 'a'.repeat(64) });
    expect(parseDigest('sha512:' + 'b'.repeat(128)).algorithm).toBe('sha512');
  });

  it.each([
    ['sha256:' + 'a'.repeat(63), /64 lowercase hex/],
    ['sha256:' + 'A'.repeat(64), /lowercase hex/],
    ['md5:' + 'a'.repeat(32), /unsupported digest algorithm/],
    ['sha256', /expected algorithm:hex/],
    ['../../etc/passwd', /expected algorithm:hex/],
  ])('rejects %s', (text, message) => {
    expect(() => parseDigest(text)).toThrow(DigestError);
    expect(() => parseDigest(text)).toThrow(message);
  });

  it('answers isDigest without throwing', () => {
    expect(isDigest(sha256)).toBe(true);
    expect(isDigest('sha256:zz')).toBe(false);
  });
});
