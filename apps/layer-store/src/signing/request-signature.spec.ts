import { requiredScope, signatureParams, signedPath } from './request-signature';

describe('request signature helpers', () => {
  it('signs the path as sent, without the query', () => {
    expect(signedPath('/blobs/sha256:abc?expires=1&sig=2')).toBe('/blobs/sha256:abc');
    expect(signedPath('/blobs/..%2F..%2Fetc?x')).toBe('/blobs/..%2F..%2Fetc');
    expect(signedPath('/uploads')).toBe('/uploads');
  });

  it('needs read for GET/HEAD of blobs and write for everything else', () => {
    expect(requiredScope('GET', '/blobs/sha256:abc')).toBe('read');
    expect(requiredScope('HEAD', '/blobs/sha256:abc')).toBe('read');
    expect(requiredScope('DELETE', '/blobs/sha256:abc')).toBe('write');
    expect(requiredScope('GET', '/uploads/x')).toBe('write');
    expect(requiredScope('POST', '/uploads')).toBe('write');
    expect(requiredScope('GET', '/blobsx')).toBe('write');
  });

  it('reads expires and sig from the query string', () => {
    expect(signatureParams('/p?digest=sha256%3Aab&expires=10&sig=ff')).toEqual({ expires: '10', sig: 'ff' });
    expect(signatureParams('/p?expires=10')).toEqual({ expires: '10', sig: undefined });
    expect(signatureParams('/p')).toEqual({});
  });
});
