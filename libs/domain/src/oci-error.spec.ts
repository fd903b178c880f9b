import { ociError, parseContentRange } from './oci-error';
import { SiloError } from './silo-error';

describe('parseContentRange', () => {
  it('parses Content-Range with and without a bytes prefix', () => {
    expect(parseContentRange('0-99')).toEqual({ start: 0, end: 99 });
    expect(parseContentRange('bytes 5-9')).toEqual({ start: 5, end: 9 });
    expect(parseContentRange('bytes=5-9')).toEqual({ start: 5, end: 9 });
    expect(() => parseContentRange('5-')).toThrow(expect.objectContaining({ code: 'BLOB_UPLOAD_INVALID' }));
  });
});

describe('ociError', () => {
  it('answers a SiloError in the OCI shape with the status of its code', () => {
    expect(ociError(new SiloError('BLOB_UNKNOWN', 'no such blob', { digest: 'd' }))).toEqual({
      status: 404,
      body: { errors: [{ code: 'BLOB_UNKNOWN', message: 'no such blob', detail: { digest: 'd' } }] },
      unexpected: false,
    });
    expect(ociError(new SiloError('UNAVAILABLE', 'down')).status).toBe(503);
  });

  it('hides anything else behind UNKNOWN and marks it unexpected', () => {
    expect(ociError(new Error('bug'))).toEqual({ status: 500, body: { errors: [{ code: 'UNKNOWN', message: 'internal error' }] }, unexpected: true });
  });
});
