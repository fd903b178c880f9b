import { checkSignature, signedQuery } from './url-signature';

const secret = Buffer.alloc(32, 7);
const path = '/blobs/sha256:' + 'a'.repeat(64);
const parse = (q: string) => Object.fromEntries(new URLSearchParams(q)) as { expires: string; sig: string };

describe('signed data-plane URLs', () => {
  it('accepts its own signature until it expires', () => {
    const query = parse(signedQuery(secret, 'read', path, 1000, 60));
    expect(checkSignature(secret, 'read', path, query, 1000)).toBe('valid');
    expect(checkSignature(secret, 'read', path, query, 1060)).toBe('valid');
    expect(checkSignature(secret, 'read', path, query, 1061)).toBe('expired');
  });

  it('rejects another path, scope, secret, a changed expiry or a missing signature', () => {
    const query = parse(signedQuery(secret, 'read', path, 1000, 60));
    expect(checkSignature(secret, 'read', `${path}x`, query, 1000)).toBe('invalid');
    expect(checkSignature(secret, 'write', path, query, 1000)).toBe('invalid');
    expect(checkSignature(Buffer.alloc(32, 8), 'read', path, query, 1000)).toBe('invalid');
    expect(checkSignature(secret, 'read', path, { ...query, expires: '99999' }, 1000)).toBe('invalid');
    expect(checkSignature(secret, 'read', path, {}, 1000)).toBe('missing');
    expect(checkSignature(secret, 'read', path, { expires: '1', sig: 'zz' }, 1000)).toBe('invalid');
  });
});
