import { makeTempDir, TempDir } from '@silo/testing';
import { importPKCS8, SignJWT } from 'jose';
import { connect as tcp } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, Platform, Ports } from './platform';
import { Credentials, RegistryClient, sha256, withQuery } from './registry-client';

/** Raw HTTP, to send what fetch refuses to: a body shorter than its Content-Length. */
function rawRequest(port: number, head: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcp({ host: '127.0.0.1', port }, () => {
      socket.write(head);
      socket.write(body);
      // hang up before the promised length arrives
      setTimeout(() => socket.destroy(), 300);
    });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.once('close', () => resolve(answer));
    socket.once('error', reject);
  });
}

describe('registry: bad input (real platform)', () => {
  let home: TempDir;
  let ports: Ports;
  let platform: Platform;
  let registry: RegistryClient;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-bad-');
    ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    registry = new RegistryClient(`http://127.0.0.1:${ports.registry}`, JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials);
  });

  afterAll(async () => {
    await platform?.interrupt();
    await home?.cleanup();
  });

  it('a body shorter than its Content-Length stores no blob; the upload can be finished correctly', async () => {
    const data = Buffer.alloc(4096, 7);
    const start = await registry.request('POST', '/v2/bad/app/blobs/uploads/');
    const location = start.headers.get('location')!;
    const target = registry.resolve(location); // the registry's own URL, or a direct upload's on the layer store
    await rawRequest(
      Number(target.port),
      `PATCH ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: ${registry.basic()}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`,
      data.subarray(0, 1000),
    );
    expect((await registry.request('HEAD', `/v2/bad/app/blobs/${sha256(data)}`)).status).toBe(404);
    const status = await registry.request('GET', location);
    const have = status.status === 204 ? Number(status.headers.get('range')!.split('-')[1]) + 1 : 0;
    expect(have).toBeLessThanOrEqual(1000);
    // claiming the full digest now fails; nothing is stored
    const early = await registry.request('PUT', withQuery(location, `digest=${sha256(data)}`));
    expect(early.status).toBe(400);
    expect((await registry.request('HEAD', `/v2/bad/app/blobs/${sha256(data)}`)).status).toBe(404);
  });

  it('a Content-Length that disagrees with Content-Range is SIZE_INVALID', async () => {
    const start = await registry.request('POST', '/v2/bad/app/blobs/uploads/');
    const res = await registry.request('PATCH', start.headers.get('location')!, { body: Buffer.alloc(10), headers: { 'content-range': '0-19' } });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ errors: [expect.objectContaining({ code: 'SIZE_INVALID' })] });
  });

  it('refuses expired tokens, tokens for another service and tokens signed by another key', async () => {
    await registry.token([]); // the signing key is made on first use
    const pem = readFileSync(join(home.path, 'keys', 'registry-token.key'), 'utf8');
    const key = await importPKCS8(pem, 'ES256');
    const access = [{ type: 'repository', name: 'bad/app', actions: ['pull', 'push'] }];
    const sign = (claims: { aud: string; exp: number }, k = key) =>
      new SignJWT({ access, kind: 'admin' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('silo-registry').setSubject('admin').setAudience(claims.aud).setExpirationTime(claims.exp).setIssuedAt(claims.exp - 60).sign(k);
    const now = Math.floor(Date.now() / 1000);
    const valid = await sign({ aud: 'silo-registry', exp: now + 60 });
    expect((await registry.request('GET', '/v2/', { auth: `Bearer ${valid}` })).status).toBe(200);
    const expired = await sign({ aud: 'silo-registry', exp: now - 10 });
    expect((await registry.request('GET', '/v2/', { auth: `Bearer ${expired}` })).status).toBe(401);
    const otherService = await sign({ aud: 'another-registry', exp: now + 60 });
    expect((await registry.request('GET', '/v2/', { auth: `Bearer ${otherService}` })).status).toBe(401);
    const { generateKeyPair } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await sign({ aud: 'silo-registry', exp: now + 60 }, privateKey);
    expect((await registry.request('GET', '/v2/', { auth: `Bearer ${foreign}` })).status).toBe(401);
    expect((await registry.request('GET', '/v2/', { auth: 'Bearer not-a-jwt' })).status).toBe(401);
    expect((await registry.request('GET', '/v2/', { auth: 'Digest whatever' })).status).toBe(401);
  });

  it('rejects unsupported methods and unknown endpoints in the OCI error shape', async () => {
    const put = await registry.request('PUT', '/v2/bad/app/tags/list');
    expect(put.status).toBe(405);
    expect(put.json()).toEqual({ errors: [expect.objectContaining({ code: 'UNSUPPORTED' })] });
    const unknown = await registry.request('GET', '/v2/bad/app/whatever');
    expect(unknown.status).toBe(404);
    const badN = await registry.request('GET', '/v2/bad/app/tags/list?n=-1');
    expect(badN.status).toBe(400);
  });
});
