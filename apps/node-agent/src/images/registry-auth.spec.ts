import { FakeClock } from '../snapshots/clock';
import { RegistryUnauthorized } from './errors/image-errors';
import { HttpTransport } from './http-transport';
import { parseChallenge, RegistryAuthenticator } from './registry-auth';

class FakeTransport extends HttpTransport {
  readonly calls: Array<{ url: string; authorization?: string }> = [];
  constructor(private readonly answer: (url: URL, authorization?: string) => Response) {
    super();
  }
  override async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const authorization = (init.headers as Record<string, string> | undefined)?.['Authorization'];
    this.calls.push({ url, authorization });
    return this.answer(new URL(url), authorization);
  }
}

const creds = { username: 'admin', password: 'secret-password' };
const challenge = 'Bearer realm="http://127.0.0.1:5000/auth/token",service="silo-registry",scope="repository:team/app:pull"';

describe('parseChallenge', () => {
  it('reads Bearer and Basic challenges', () => {
    expect(parseChallenge(challenge)).toEqual({
      scheme: 'bearer',
      params: { realm: 'http://127.0.0.1:5000/auth/token', service: 'silo-registry', scope: 'repository:team/app:pull' },
    });
    expect(parseChallenge('Basic realm="registry"')).toEqual({ scheme: 'basic', params: { realm: 'registry' } });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });
});

describe('RegistryAuthenticator', () => {
  it('gets a token with Basic credentials, caches it per scope until shortly before it expires', async () => {
    const clock = new FakeClock();
    let issued = 0;
    const http = new FakeTransport((url) => {
      expect(url.searchParams.get('service')).toBe('silo-registry');
      return Response.json({ token: `t${++issued}:${url.searchParams.get('scope')}`, expires_in: 300 });
    });
    const auth = new RegistryAuthenticator(http, clock);
    const scope = 'repository:team/app:pull';
    expect(await auth.authorizationFor('127.0.0.1:5000', scope, creds)).toBeUndefined(); // nothing known yet
    expect(await auth.answer('127.0.0.1:5000', challenge, scope, creds)).toBe(`Bearer t1:${scope}`);
    expect(http.calls[0]!.authorization).toBe(`Basic ${Buffer.from('admin:secret-password').toString('base64')}`);
    // known now: up front, from the cache
    expect(await auth.authorizationFor('127.0.0.1:5000', scope, creds)).toBe(`Bearer t1:${scope}`);
    // another repository: a token for its scope, without a 401 first
    expect(await auth.authorizationFor('127.0.0.1:5000', 'repository:other:pull', creds)).toBe('Bearer t2:repository:other:pull');
    clock.advance(285_000);
    expect(await auth.authorizationFor('127.0.0.1:5000', scope, creds)).toBe(`Bearer t1:${scope}`);
    clock.advance(10_000); // within the margin before expiry
    expect(await auth.authorizationFor('127.0.0.1:5000', scope, creds)).toBe(`Bearer t3:${scope}`);
    expect(issued).toBe(3);
  });

  it('reports rejected credentials as unauthorized', async () => {
    const auth = new RegistryAuthenticator(new FakeTransport(() => new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', { status: 401 })));
    await expect(auth.answer('h', challenge, 'repository:team/app:pull', creds)).rejects.toThrow(RegistryUnauthorized);
    await expect(auth.answer('h', challenge, 'repository:team/app:pull', creds)).rejects.toThrow(/rejected the credentials of admin/);
  });

  it('answers a Basic challenge with the credentials, once', async () => {
    const auth = new RegistryAuthenticator(new FakeTransport(() => new Response(null, { status: 500 })));
    const basic = await auth.answer('h', 'Basic realm="r"', 's', creds);
    expect(basic).toMatch(/^Basic /);
    await expect(auth.answer('h', 'Basic realm="r"', 's', creds, basic)).rejects.toThrow(/rejected the credentials/);
    await expect(auth.answer('h', 'Basic realm="r"', 's', undefined)).rejects.toThrow(/requires credentials/);
  });
});
