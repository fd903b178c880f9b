import { makeTempDir, TempDir } from '@silo/testing';
import { connect, NatsConnection } from 'nats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsRequest } from './nats-request';
import { freePorts, Platform } from './platform';
import { Credentials, RegistryClient, withQuery } from './registry-client';

/** Users, teams, robot tokens, public repositories and quotas, on the real platform. */
describe('registry: access control and quotas (real platform)', () => {
  let home: TempDir;
  let platform: Platform;
  let admin: RegistryClient;
  let base: string;
  let nc: NatsConnection;
  const as = (name: string, secret: string) => new RegistryClient(base, { username: name, password: secret });

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-access-');
    const ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    base = `http://127.0.0.1:${ports.registry}`;
    admin = new RegistryClient(base, JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials);
    nc = await connect({ servers: `nats://127.0.0.1:${ports.nats}` });
    await natsRequest(nc, 'silo.registry.team.put', { name: 'acme' });
    await natsRequest(nc, 'silo.registry.team.put', { name: 'globex' });
  });

  afterAll(async () => {
    await nc?.close();
    await platform?.interrupt();
    await home?.cleanup();
  });

  it('team members push and pull in their namespace only; pull-only members cannot push', async () => {
    const alice = await natsRequest<{ secret: string }>(nc, 'silo.registry.account.create', { name: 'alice', kind: 'user', password: 'alice-password-123' });
    expect(alice.secret).toBe('alice-password-123');
    const bob = await natsRequest<{ secret: string }>(nc, 'silo.registry.account.create', { name: 'bob', kind: 'user' });
    await natsRequest(nc, 'silo.registry.team.member.set', { team: 'acme', account: 'alice', role: 'push' });
    await natsRequest(nc, 'silo.registry.team.member.set', { team: 'acme', account: 'bob', role: 'pull' });

    const a = as('alice', alice.secret);
    const token = await a.token(['repository:acme/app:pull,push']);
    const pushed = await a.pushImage('acme/app', 'v1');
    expect(pushed.digest).toMatch(/^sha256:/);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull', 'push'] },
    ]);
    // another team's namespace: the token grants nothing, and the registry says so
    const foreign = await a.token(['repository:globex/app:pull,push']);
    expect(JSON.parse(Buffer.from(foreign.split('.')[1]!, 'base64url').toString()).access).toEqual([]);
    const denied = await a.request('POST', '/v2/globex/app/blobs/uploads/');
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ errors: [expect.objectContaining({ code: 'DENIED' })] });

    const b = as('bob', bob.secret);
    expect((await b.request('GET', '/v2/acme/app/manifests/v1')).status).toBe(200);
    expect((await b.request('POST', '/v2/acme/app/blobs/uploads/')).status).toBe(403);
    expect((await b.request('DELETE', `/v2/acme/app/manifests/${pushed.digest}`)).status).toBe(403);
  });

  it('robot tokens act for their team with their role, and stop working at once when deleted', async () => {
    const robot = await natsRequest<{ name: string; secret: string }>(nc, 'silo.registry.account.create', {
      name: 'acme+ci',
      kind: 'robot',
      team: 'acme',
      role: 'push',
    });
    expect(robot.secret).toMatch(/^silo_/);
    const ci = as('acme+ci', robot.secret);
    await ci.pushImage('acme/built-by-ci', 'v1');
    const token = await ci.token(['repository:acme/built-by-ci:pull']);
    expect((await ci.request('GET', '/v2/acme/built-by-ci/manifests/v1', { auth: `Bearer ${token}` })).status).toBe(200);
    await natsRequest(nc, 'silo.registry.account.delete', { name: 'acme+ci' });
    expect((await ci.request('GET', '/v2/acme/built-by-ci/manifests/v1', { auth: `Bearer ${token}` })).status).toBe(401);
    expect((await ci.request('GET', '/v2/acme/built-by-ci/manifests/v1')).status).toBe(401);
  });

  it('a public repository can be pulled anonymously, never pushed', async () => {
    await admin.pushImage('acme/public-app', 'v1');
    const anonymous = new RegistryClient(base);
    expect((await anonymous.request('GET', '/v2/acme/public-app/manifests/v1')).status).toBe(401);
    await natsRequest(nc, 'silo.registry.repository.visibility.set', { name: 'acme/public-app', public: true });
    const token = await anonymous.token(['repository:acme/public-app:pull,push'], undefined);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access).toEqual([
      { type: 'repository', name: 'acme/public-app', actions: ['pull'] },
    ]);
    expect((await anonymous.request('GET', '/v2/acme/public-app/manifests/v1', { auth: `Bearer ${token}` })).status).toBe(200);
    expect((await anonymous.request('POST', '/v2/acme/public-app/blobs/uploads/', { auth: `Bearer ${token}` })).status).toBe(401);
    await expect(natsRequest(nc, 'silo.registry.repository.visibility.set', { name: 'no/such', public: true })).rejects.toMatchObject({ code: 'NAME_UNKNOWN' });
  });

  it('a push past the team quota is DENIED with the quota and usage; a blob counts once per team', async () => {
    await natsRequest(nc, 'silo.registry.team.put', { name: 'tiny', quotaBytes: 100 });
    const blob = Buffer.alloc(60, 1);
    const digest = await admin.pushBlob('tiny/one', blob);
    // the same blob in a second repository of the team costs nothing more
    expect(await admin.pushBlob('tiny/two', blob)).toBe(digest);
    const mounted = await admin.request('POST', `/v2/tiny/three/blobs/uploads/?mount=${digest}&from=tiny/one`);
    expect(mounted.status).toBe(201);
    expect(await natsRequest(nc, 'silo.registry.team.get', { name: 'tiny' })).toEqual({ name: 'tiny', quotaBytes: 100, usedBytes: 60 });
    const start = await admin.request('POST', '/v2/tiny/one/blobs/uploads/');
    const over = Buffer.alloc(50, 2);
    const { createHash } = await import('node:crypto');
    const overDigest = `sha256:${createHash('sha256').update(over).digest('hex')}`;
    const refused = await admin.request('PUT', withQuery(start.headers.get('location')!, `digest=${overDigest}`), { body: over });
    expect(refused.status).toBe(403);
    const error = refused.json<{ errors: Array<{ code: string; message: string }> }>().errors[0]!;
    expect(error.code).toBe('DENIED');
    expect(error.message).toBe('quota exceeded for team tiny: 60 of 100 bytes used, this blob needs 50 more');
    expect((await admin.request('HEAD', `/v2/tiny/one/blobs/${overDigest}`)).status).toBe(404);
    expect(await natsRequest(nc, 'silo.registry.team.get', { name: 'tiny' })).toMatchObject({ usedBytes: 60 });
  });

  it('refuses bad account requests with every problem listed', async () => {
    await expect(natsRequest(nc, 'silo.registry.account.create', { name: 'X', kind: 'alien', password: 'short' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/name.*kind.*password|name.*password.*kind/s),
    });
    await expect(natsRequest(nc, 'silo.registry.account.create', { name: 'nope+bot', kind: 'robot', team: 'nope', role: 'push' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
