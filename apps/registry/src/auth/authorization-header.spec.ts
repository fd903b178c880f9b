import { decodeBasic, parseAuthorization } from './authorization-header';

describe('Authorization header parsing', () => {
  it('splits scheme and credentials, case-insensitively and tolerating extra spaces', () => {
    expect(parseAuthorization('Basic YTpi')).toEqual({ scheme: 'basic', value: 'YTpi' });
    expect(parseAuthorization('  BEARER   abc.def.ghi  ')).toEqual({ scheme: 'bearer', value: 'abc.def.ghi' });
    expect(parseAuthorization('Bearer')).toEqual({ scheme: 'bearer', value: '' });
    expect(parseAuthorization('')).toEqual({ scheme: '', value: '' });
  });

  it('decodes user:password, keeping colons in the password', () => {
    const encode = (s: string) => Buffer.from(s).toString('base64');
    expect(decodeBasic(encode('alice:pa:ss'))).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(decodeBasic(encode('team+bot:silo_x'))).toEqual({ username: 'team+bot', password: 'silo_x' });
    expect(decodeBasic(encode('alice:'))).toEqual({ username: 'alice', password: '' });
  });

  it('refuses what is not base64 of user:password', () => {
    expect(decodeBasic(Buffer.from('no-colon').toString('base64'))).toBeUndefined();
    expect(decodeBasic(Buffer.from(':password').toString('base64'))).toBeUndefined();
    expect(decodeBasic('!!!')).toBeUndefined();
    expect(decodeBasic('')).toBeUndefined();
  });
});
