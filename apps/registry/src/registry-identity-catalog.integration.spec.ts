import {
  AccountCreateReply,
  AccountDeleteReply,
  AccountListReply,
  AccountView,
  AuthVerifyReply,
  ManifestDeleteReply,
  ManifestGetReply,
  PrincipalView,
  RepositoryDeleteReply,
  RepositoryGetReply,
  RepositoryListReply,
  SessionCreateReply,
  SessionRevokeReply,
  Subjects,
  TeamDeleteReply,
  TeamListReply,
  TeamMemberSetReply,
  TeamReply,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, Clock, RunningService } from '@silo/service-kit';
import { blobPath, buildOciLayout, BuiltImage, freePort, makeTempDir, NatsServerHandle, startNatsServer, stopProcess, TempDir, track, waitFor } from '@silo/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Subscription } from 'nats';
import { DataSource } from 'typeorm';
import { IdentityService } from './auth/identity.service';
import { RegistryConfig } from './config/registry.config';
import { RegistryModule } from './registry.module';
import { SessionService } from './sessions/session.service';

const quiet = { log() {}, warn() {}, error() {} };
const ROOT = resolve(__dirname, '../../..');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The real clock, shifted on demand: sessions and JWTs expire without waiting. */
class ShiftableClock extends Clock {
  offsetMs = 0;
  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/** The layer store as a real process (from dist/, as libs/testing's startSiloRegistry runs it). */
async function startLayerStore(home: string, natsUrl: string): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const main = join(ROOT, 'dist', 'apps', 'layer-store', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (node tools/build/build.mjs --skip-native)`);
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('SILO_') && v !== undefined)) as Record<string, string>;
  const child = track(
    spawn(process.execPath, [main], {
      env: { ...inherited, SILO_HOME: home, SILO_NATS_URL: natsUrl, SILO_LOG_LEVEL: 'warn', SILO_BIND_HOST: '127.0.0.1', SILO_LAYER_STORE_PORT: String(port), SILO_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  const append = (d: Buffer) => (output = (output + d.toString()).slice(-8192));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`layer store exited (${child.exitCode}): ${output}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    { timeoutMs: 30_000, description: 'layer store healthy' },
  );
  return { url, child, output: () => output };
}

describe('registry identities and catalog over NATS (real nats-server, SQLite, layer store)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let layouts: TempDir;
  let layerStore: { url: string; child: ChildProcess; output: () => string };
  let registry: RunningService;
  let connection: NatsConnectionService;
  let client: NatsClient;
  let base: string;
  let admin: { username: string; password: string };
  const clock = new ShiftableClock();
  const accountEvents: Array<{ name: string; change: string }> = [];
  const deletedEvents: Array<{ repository: string; digest?: string; tags: string[] }> = [];
  const subscriptions: Subscription[] = [];

  const ask = <R extends object>(subject: string, payload: object, reply: new () => R) => client.request(subject, payload, { reply, timeoutMs: 15_000 });
  const verify = async (authorization: string): Promise<PrincipalView> => (await ask(Subjects.authVerify, { authorization }, AuthVerifyReply)).principal;
  /** The error code a request fails with (the test fails if it succeeds). */
  const failure = async (request: Promise<unknown>): Promise<string> => {
    try {
      await request;
    } catch (err) {
      if (err instanceof SiloError) return err.code;
      throw err;
    }
    throw new Error('the request succeeded, but it should have failed');
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir('silo-registry-identity-');
    layouts = await makeTempDir('silo-registry-layouts-');
    admin = { username: 'admin', password: randomBytes(18).toString('base64url') };
    await writeFile(join(home.path, 'admin-credentials.json'), JSON.stringify({ ...admin, apiUrl: 'http://127.0.0.1:0', registry: '127.0.0.1:0', createdAt: new Date().toISOString() }), {
      mode: 0o600,
    });
    layerStore = await startLayerStore(home.path, nats.url);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    registry = await bootstrapService({
      service: 'registry',
      configClass: RegistryConfig,
      module: (config) => {
        const mod = RegistryModule.forRoot(config);
        return { ...mod, providers: [...(mod.providers ?? []), { provide: Clock, useValue: clock }] };
      },
      httpPort: (config) => config.port,
      bodyParser: false,
      env: {
        SILO_HOME: home.path,
        SILO_NATS_URL: nats.url,
        SILO_LOG_LEVEL: 'fatal',
        SILO_REGISTRY_PORT: String(port),
        SILO_BIND_HOST: '127.0.0.1',
        SILO_LAYER_STORE_URL: layerStore.url,
      },
    });
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    const nc = await connection.ready();
    const decode = (data: Uint8Array) => (JSON.parse(new TextDecoder().decode(data)) as { data: never }).data;
    subscriptions.push(nc.subscribe(Subjects.accountChangedEvent, { callback: (_e, msg) => accountEvents.push(decode(msg.data)) }));
    subscriptions.push(nc.subscribe(Subjects.registryDeletedEvent, { callback: (_e, msg) => deletedEvents.push(decode(msg.data)) }));
    client = new NatsClient(connection);
    await waitFor(
      () =>
        verify(basic(admin.username, admin.password)).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 15_000, description: 'registry answering on NATS' },
    );
  }, 60_000);

  afterAll(async () => {
    for (const s of subscriptions) s.unsubscribe();
    await connection?.close();
    await registry?.stop();
    if (layerStore) await stopProcess(layerStore.child, 5000);
    await nats?.stop();
    await home?.cleanup();
    await layouts?.cleanup();
  });

  afterEach(() => {
    clock.offsetMs = 0;
  });

  async function createAccount(request: object): Promise<AccountCreateReply> {
    return ask(Subjects.accountCreate, request, AccountCreateReply);
  }

  async function registryToken(authorization: string, scope: string): Promise<string> {
    const res = await fetch(`${base}/auth/token?service=silo-registry&scope=${encodeURIComponent(scope)}`, { headers: { authorization } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  describe('auth.verify, sessions and accounts', () => {
    beforeAll(async () => {
      await ask(Subjects.teamPut, { name: 'acme', quotaBytes: 10_000_000 }, TeamReply);
      await createAccount({ name: 'alice', kind: 'user', password: 'alice-password-123' });
      await ask(Subjects.teamMemberSet, { team: 'acme', account: 'alice', role: 'push' }, TeamMemberSetReply);
    });

    it('verifies Basic credentials of the generated admin, users and robots', async () => {
      expect(await verify(basic(admin.username, admin.password))).toEqual({ kind: 'admin', name: 'admin', role: 'admin', teams: [], via: 'basic' });
      expect(await verify(basic('alice', 'alice-password-123'))).toEqual({
        kind: 'user',
        name: 'alice',
        role: 'member',
        teams: [{ team: 'acme', role: 'push' }],
        via: 'basic',
      });
      const robot = await createAccount({ name: 'acme+ci', kind: 'robot', team: 'acme', role: 'pull' });
      expect(robot.secret).toMatch(/^silo_/);
      expect(await verify(basic('acme+ci', robot.secret))).toEqual({ kind: 'robot', name: 'acme+ci', role: 'member', teams: [{ team: 'acme', role: 'pull' }], via: 'basic' });
      // a robot cannot join another team, so its teams stay its own
      await ask(Subjects.teamPut, { name: 'globex' }, TeamReply);
      expect(await failure(ask(Subjects.teamMemberSet, { team: 'globex', account: 'acme+ci', role: 'admin' }, TeamMemberSetReply))).toBe('VALIDATION_FAILED');
    });

    it('refuses wrong, unknown and malformed credentials with UNAUTHORIZED', async () => {
      expect(await failure(verify(basic('alice', 'wrong-password-123')))).toBe('UNAUTHORIZED');
      expect(await failure(verify(basic(admin.username, 'not-the-admin-password')))).toBe('UNAUTHORIZED');
      expect(await failure(verify(basic('nobody', 'whatever-password')))).toBe('UNAUTHORIZED');
      expect(await failure(verify('Basic !!!notbase64'))).toBe('UNAUTHORIZED');
      expect(await failure(verify('Digest abc'))).toBe('UNAUTHORIZED');
      expect(await failure(verify('Bearer silo_s_unknown'))).toBe('UNAUTHORIZED');
      expect(await failure(verify('Bearer not.a.jwt'))).toBe('UNAUTHORIZED');
      expect(await failure(ask(Subjects.authVerify, { authorization: '' }, AuthVerifyReply))).toBe('VALIDATION_FAILED');
    });

    it('creates, verifies and revokes sessions for users, the admin and robots', async () => {
      expect(await failure(ask(Subjects.sessionCreate, { username: 'alice', password: 'wrong-password-123' }, SessionCreateReply))).toBe('UNAUTHORIZED');
      const before = Date.now();
      const session = await ask(Subjects.sessionCreate, { username: 'alice', password: 'alice-password-123' }, SessionCreateReply);
      expect(session.token).toMatch(/^silo_s_[A-Za-z0-9_-]{43}$/);
      const ttl = Date.parse(session.expiresAt) - before;
      expect(ttl).toBeGreaterThan(12 * 3600 * 1000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(12 * 3600 * 1000 + 60_000);
      expect(session.principal).toMatchObject({ kind: 'user', name: 'alice', via: 'session', expiresAt: session.expiresAt });
      // `silo image push` after `silo login`: the session token is the password of its own account only
      const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const tokenFor = (authorization: string) => fetch(`${base}/auth/token?service=silo-registry&scope=repository:acme/app:push`, { headers: { authorization } });
      expect((await tokenFor(basic('alice', session.token))).status).toBe(200);
      expect((await tokenFor(basic('bob', session.token))).status).toBe(401);
      expect(await verify(`Bearer ${session.token}`)).toEqual({
        kind: 'user',
        name: 'alice',
        role: 'member',
        teams: [{ team: 'acme', role: 'push' }],
        via: 'session',
        expiresAt: session.expiresAt,
      });

      expect(await ask(Subjects.sessionRevoke, { token: session.token }, SessionRevokeReply)).toEqual({ revoked: 1 });
      expect(await failure(verify(`Bearer ${session.token}`))).toBe('UNAUTHORIZED');
      expect((await tokenFor(basic('alice', session.token))).status).toBe(401);
      expect(await ask(Subjects.sessionRevoke, { token: session.token }, SessionRevokeReply)).toEqual({ revoked: 0 });
      await waitFor(() => accountEvents.some((e) => e.name === 'alice' && e.change === 'session-revoked'), { description: 'session-revoked event' });

      const adminSession = await ask(Subjects.sessionCreate, { username: admin.username, password: admin.password }, SessionCreateReply);
      expect(await verify(`Bearer ${adminSession.token}`)).toMatchObject({ kind: 'admin', name: 'admin', role: 'admin', via: 'session' });
      const robot = await createAccount({ name: 'acme+deploy', kind: 'robot', team: 'acme', role: 'push' });
      const robotSession = await ask(Subjects.sessionCreate, { username: 'acme+deploy', password: robot.secret }, SessionCreateReply);
      expect(await verify(`Bearer ${robotSession.token}`)).toMatchObject({ kind: 'robot', name: 'acme+deploy', teams: [{ team: 'acme', role: 'push' }], via: 'session' });
    });

    it('answers SESSION_EXPIRED for a session past its expiry', async () => {
      const session = await ask(Subjects.sessionCreate, { username: 'alice', password: 'alice-password-123', ttlSeconds: 60 }, SessionCreateReply);
      expect(await verify(`Bearer ${session.token}`)).toMatchObject({ name: 'alice', via: 'session' });
      clock.offsetMs = 59_000;
      expect(await verify(`Bearer ${session.token}`)).toMatchObject({ name: 'alice' });
      clock.offsetMs = 61_000;
      expect(await failure(verify(`Bearer ${session.token}`))).toBe('SESSION_EXPIRED');
      // kept a day past expiry (so clients hear SESSION_EXPIRED), then purged
      const sessions = registry.app.get(SessionService);
      await sessions.purge();
      expect(await failure(verify(`Bearer ${session.token}`))).toBe('SESSION_EXPIRED');
      clock.offsetMs = 61_000 + 24 * 3600 * 1000 + 1000;
      expect(await sessions.purge()).toBeGreaterThanOrEqual(1);
      clock.offsetMs = 0;
      expect(await failure(verify(`Bearer ${session.token}`))).toBe('UNAUTHORIZED');
    });

    it("verifies the registry's own JWTs: signature, expiry, and that the account still exists", async () => {
      const token = await registryToken(basic('alice', 'alice-password-123'), 'repository:acme/app:pull');
      const principal = await verify(`Bearer ${token}`);
      expect(principal).toMatchObject({ kind: 'user', name: 'alice', role: 'member', teams: [{ team: 'acme', role: 'push' }], via: 'registry-token' });
      expect(Date.parse(principal.expiresAt!)).toBeGreaterThan(Date.now());
      const [header, payload, signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin', kind: 'admin' })).toString('base64url');
      expect(await failure(verify(`Bearer ${header}.${forged}.${signature}`))).toBe('UNAUTHORIZED');
      clock.offsetMs = 901_000; // past the default 900 s token lifetime
      expect(await failure(verify(`Bearer ${token}`))).toBe('SESSION_EXPIRED');
    });

    it('deleting an account makes its Basic credentials, sessions and tokens fail at once, even after a cached success', async () => {
      const identity = registry.app.get(IdentityService);
      await createAccount({ name: 'bob', kind: 'user', password: 'bob-password-1234' });
      await ask(Subjects.teamMemberSet, { team: 'acme', account: 'bob', role: 'pull' }, TeamMemberSetReply);
      const cachedBefore = identity.cachedCredentials;
      expect(await verify(basic('bob', 'bob-password-1234'))).toMatchObject({ name: 'bob', teams: [{ team: 'acme', role: 'pull' }] });
      expect(identity.cachedCredentials).toBe(cachedBefore + 1);
      // a cached success still sees membership changes at once
      await ask(Subjects.teamMemberSet, { team: 'acme', account: 'bob', role: 'delete' }, TeamMemberSetReply);
      expect(await verify(basic('bob', 'bob-password-1234'))).toMatchObject({ name: 'bob', teams: [{ team: 'acme', role: 'delete' }] });
      expect(await verify(basic('bob', 'bob-password-1234'))).toMatchObject({ name: 'bob' });
      const session = await ask(Subjects.sessionCreate, { username: 'bob', password: 'bob-password-1234' }, SessionCreateReply);
      const token = await registryToken(basic('bob', 'bob-password-1234'), 'repository:acme/app:pull');
      expect(await verify(`Bearer ${session.token}`)).toMatchObject({ name: 'bob' });
      expect(await verify(`Bearer ${token}`)).toMatchObject({ name: 'bob' });

      expect(await ask(Subjects.accountDelete, { name: 'bob' }, AccountDeleteReply)).toEqual({ deleted: true });
      expect(await failure(verify(basic('bob', 'bob-password-1234')))).toBe('UNAUTHORIZED');
      expect(await failure(verify(`Bearer ${session.token}`))).toBe('UNAUTHORIZED');
      expect(await failure(verify(`Bearer ${token}`))).toBe('UNAUTHORIZED');
      await waitFor(() => accountEvents.some((e) => e.name === 'bob' && e.change === 'deleted'), { description: 'deleted event' });
      expect(accountEvents).toEqual(expect.arrayContaining([{ name: 'bob', change: 'created' }, { name: 'bob', change: 'membership' }]));

      // a robot's token stops working the same way
      const robot = await createAccount({ name: 'acme+gone', kind: 'robot', team: 'acme', role: 'pull' });
      expect(await verify(basic('acme+gone', robot.secret))).toMatchObject({ kind: 'robot' });
      await ask(Subjects.accountDelete, { name: 'acme+gone' }, AccountDeleteReply);
      expect(await failure(verify(basic('acme+gone', robot.secret)))).toBe('UNAUTHORIZED');
    });

    it("drops cached credentials when another replica announces a change", async () => {
      const identity = registry.app.get(IdentityService);
      await createAccount({ name: 'carol', kind: 'user', password: 'carol-password-12' });
      await verify(basic('carol', 'carol-password-12'));
      const cached = identity.cachedCredentials;
      expect(cached).toBeGreaterThan(0);
      client.publish(Subjects.accountChangedEvent, { name: 'carol', change: 'role' });
      await waitFor(() => identity.cachedCredentials === cached - 1, { description: 'cache entry dropped on the event' });
      await ask(Subjects.accountDelete, { name: 'carol' }, AccountDeleteReply);
    });

    it('sets and lists cluster-wide roles; lists accounts without secrets', async () => {
      await createAccount({ name: 'victor', kind: 'user', password: 'victor-password-1', accountRole: 'viewer' });
      expect(await verify(basic('alice', 'alice-password-123'))).toMatchObject({ role: 'member' }); // cached now
      const updated = await ask(Subjects.accountRoleSet, { name: 'alice', role: 'admin' }, AccountView);
      expect(updated).toMatchObject({ name: 'alice', kind: 'user', role: 'admin', teams: [{ team: 'acme', role: 'push' }] });
      expect(await verify(basic('alice', 'alice-password-123'))).toMatchObject({ role: 'admin' });
      expect(await failure(ask(Subjects.accountRoleSet, { name: 'nobody', role: 'admin' }, AccountView))).toBe('NOT_FOUND');
      expect(await failure(ask(Subjects.accountRoleSet, { name: 'acme+ci', role: 'admin' }, AccountView))).toBe('VALIDATION_FAILED');
      expect(await failure(ask(Subjects.accountRoleSet, { name: 'alice', role: 'root' }, AccountView))).toBe('VALIDATION_FAILED');
      await waitFor(() => accountEvents.some((e) => e.name === 'alice' && e.change === 'role'), { description: 'role event' });

      // the reply contract forbids unknown fields: a secret hash in the reply would fail validation
      const users = (await ask(Subjects.accountList, { kind: 'user' }, AccountListReply)).accounts;
      expect(users.map((a) => [a.name, a.role])).toEqual([
        ['alice', 'admin'],
        ['victor', 'viewer'],
      ]);
      expect(JSON.stringify(users)).not.toContain('scrypt');
      const acme = (await ask(Subjects.accountList, { team: 'acme' }, AccountListReply)).accounts;
      expect(acme.map((a) => a.name)).toEqual(['acme+ci', 'acme+deploy', 'alice']);
      expect((await ask(Subjects.accountList, { kind: 'robot', team: 'acme' }, AccountListReply)).accounts.map((a) => a.name)).toEqual(['acme+ci', 'acme+deploy']);
      expect((await ask(Subjects.accountList, {}, AccountListReply)).accounts).toHaveLength(4);
    });
  });

  describe('catalog queries and deletes', () => {
    let single: BuiltImage;
    let multi: BuiltImage;
    const adminAuth = () => basic(admin.username, admin.password);

    async function push(name: string, image: BuiltImage): Promise<void> {
      const digests = new Set<string>();
      for (const m of image.manifests) {
        digests.add(m.configDigest);
        for (const layer of m.layers) digests.add(layer.digest);
      }
      for (const digest of digests) {
        const body = await readFile(blobPath(image.dir, digest));
        const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${digest}`, {
          method: 'POST',
          headers: { authorization: adminAuth(), 'content-type': 'application/octet-stream' },
          body,
        });
        expect(res.status).toBe(201);
      }
      const put = async (reference: string, digest: string, mediaType: string) => {
        const res = await fetch(`${base}/v2/${name}/manifests/${reference}`, {
          method: 'PUT',
          headers: { authorization: adminAuth(), 'content-type': mediaType },
          body: await readFile(blobPath(image.dir, digest)),
        });
        expect(res.status).toBe(201);
      };
      if (image.indexDigest) for (const m of image.manifests) await put(m.digest, m.digest, m.mediaType);
      await put(image.tag, image.digest, image.mediaType);
    }

    beforeAll(async () => {
      single = await buildOciLayout(join(layouts.path, 'single'), {
        tag: 'v1',
        layers: [{ files: { 'hello.txt': 'hello, silo\n' } }, { files: { 'etc/app.conf': 'x=1\n' }, compression: 'none' }],
        config: { Cmd: ['/hello'], Env: ['GREETING=hi'] },
      });
      multi = await buildOciLayout(join(layouts.path, 'multi'), {
        tag: 'v1',
        platforms: [
          { os: 'linux', architecture: 'amd64' },
          { os: 'linux', architecture: 'arm64' },
        ],
        // one layer shared by both platforms: counted once
        layers: [{ files: { 'shared.txt': 'same on every platform\n' } }],
      });
      await push('acme/app', single);
      await push('acme/multi', multi);
      await push('other/tool', single);
    }, 60_000);

    const blobBytes = (image: BuiltImage) => {
      const sizes = new Map<string, number>();
      for (const m of image.manifests) {
        sizes.set(m.configDigest, Number(m.manifest.config.size));
        for (const layer of m.layers) sizes.set(layer.digest, layer.size);
      }
      return [...sizes.values()].reduce((a, b) => a + b, 0);
    };
    const manifestBytes = async (image: BuiltImage, digest: string) => (await readFile(blobPath(image.dir, digest))).length;

    it('lists repositories with counts and sizes, filtered by team', async () => {
      const all = (await ask(Subjects.repositoryList, {}, RepositoryListReply)).repositories;
      expect(all.map((r) => r.name)).toEqual(['acme/app', 'acme/multi', 'other/tool']);
      const app = all.find((r) => r.name === 'acme/app')!;
      expect(app).toMatchObject({ public: false, tagCount: 1, manifestCount: 1, sizeBytes: blobBytes(single) });
      expect(Date.parse(app.updatedAt!)).toBeGreaterThan(Date.now() - 120_000);
      expect(all.find((r) => r.name === 'acme/multi')).toMatchObject({ tagCount: 1, manifestCount: 3, sizeBytes: blobBytes(multi) });
      expect((await ask(Subjects.repositoryList, { team: 'acme' }, RepositoryListReply)).repositories.map((r) => r.name)).toEqual(['acme/app', 'acme/multi']);
      expect((await ask(Subjects.repositoryList, { team: 'acm' }, RepositoryListReply)).repositories).toEqual([]);
    });

    it('gets a repository with its tags, digests, media types and sizes', async () => {
      const { repository } = await ask(Subjects.repositoryGet, { name: 'acme/app' }, RepositoryGetReply);
      expect(repository).toMatchObject({ name: 'acme/app', tagCount: 1, manifestCount: 1, sizeBytes: blobBytes(single) });
      expect(repository.tags).toEqual([
        {
          tag: 'v1',
          digest: single.digest,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          sizeBytes: (await manifestBytes(single, single.digest)) + blobBytes(single),
          updatedAt: expect.any(String),
        },
      ]);
      const multiRepo = (await ask(Subjects.repositoryGet, { name: 'acme/multi' }, RepositoryGetReply)).repository;
      let expected = (await manifestBytes(multi, multi.digest)) + blobBytes(multi);
      for (const m of multi.manifests) expected += await manifestBytes(multi, m.digest);
      expect(multiRepo.tags).toEqual([expect.objectContaining({ tag: 'v1', digest: multi.indexDigest, mediaType: 'application/vnd.oci.image.index.v1+json', sizeBytes: expected })]);
      expect(await failure(ask(Subjects.repositoryGet, { name: 'acme/none' }, RepositoryGetReply))).toBe('NAME_UNKNOWN');
      expect(await failure(ask(Subjects.repositoryGet, { name: 'Not A Name' }, RepositoryGetReply))).toBe('NAME_INVALID');
    });

    it('asks the layer store for a blob size the metadata lacks', async () => {
      const db = registry.app.get(DataSource);
      const before = (await ask(Subjects.repositoryGet, { name: 'acme/multi' }, RepositoryGetReply)).repository;
      const [row] = (await db.query(`SELECT "size" FROM "blob" WHERE "digest" = ?`, [multi.layers[0]!.digest])) as Array<{ size: number }>;
      expect(Number(row?.size)).toBe(multi.layers[0]!.size);
      await db.query(`DELETE FROM "blob" WHERE "digest" = ?`, [multi.layers[0]!.digest]);
      const after = (await ask(Subjects.repositoryGet, { name: 'acme/multi' }, RepositoryGetReply)).repository;
      expect(after.sizeBytes).toBe(blobBytes(multi));
      expect(after.tags).toEqual(before.tags);
    });

    it('gets a manifest by tag or digest, with its parsed image config and layers', async () => {
      const byTag = await ask(Subjects.manifestGet, { name: 'acme/app', reference: 'v1' }, ManifestGetReply);
      const byDigest = await ask(Subjects.manifestGet, { name: 'acme/app', reference: single.digest }, ManifestGetReply);
      expect(byDigest).toEqual(byTag);
      expect(byTag).toMatchObject({ name: 'acme/app', digest: single.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', tags: ['v1'] });
      expect(byTag.manifest).toEqual(single.manifests[0]!.manifest);
      expect(byTag.config).toMatchObject({ architecture: single.manifests[0]!.config.architecture, os: 'linux', config: { Cmd: ['/hello'] } });
      expect((byTag.config!['config'] as { Env: string[] }).Env).toContain('GREETING=hi');
      expect(byTag.layers).toEqual(single.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })));
      expect(byTag.sizeBytes).toBe((await manifestBytes(single, single.digest)) + blobBytes(single));

      const index = await ask(Subjects.manifestGet, { name: 'acme/multi', reference: 'v1' }, ManifestGetReply);
      expect(index).toMatchObject({ digest: multi.indexDigest, layers: [], tags: ['v1'] });
      expect(index.config).toBeUndefined();
      expect((index.manifest['manifests'] as unknown[]).length).toBe(2);
      const child = await ask(Subjects.manifestGet, { name: 'acme/multi', reference: multi.manifests[1]!.digest }, ManifestGetReply);
      expect(child.config).toMatchObject({ architecture: 'arm64' });
      expect(child.tags).toEqual([]);

      expect(await failure(ask(Subjects.manifestGet, { name: 'acme/app', reference: 'nope' }, ManifestGetReply))).toBe('MANIFEST_UNKNOWN');
      expect(await failure(ask(Subjects.manifestGet, { name: 'acme/app', reference: `sha256:${'0'.repeat(64)}` }, ManifestGetReply))).toBe('MANIFEST_UNKNOWN');
      expect(await failure(ask(Subjects.manifestGet, { name: 'acme/app', reference: 'sha256:zz' }, ManifestGetReply))).toBe('DIGEST_INVALID');
    });

    it('deletes by tag (untag only) and by digest (manifest and tags), announcing each delete', async () => {
      const retag = await fetch(`${base}/v2/acme/app/manifests/v2`, {
        method: 'PUT',
        headers: { authorization: adminAuth(), 'content-type': single.mediaType },
        body: await readFile(blobPath(single.dir, single.digest)),
      });
      expect(retag.status).toBe(201);
      expect(await ask(Subjects.manifestDelete, { name: 'acme/app', reference: 'v2' }, ManifestDeleteReply)).toEqual({ name: 'acme/app', deletedTags: ['v2'] });
      expect((await ask(Subjects.manifestGet, { name: 'acme/app', reference: single.digest }, ManifestGetReply)).tags).toEqual(['v1']);
      await waitFor(() => deletedEvents.some((e) => e.repository === 'acme/app' && e.digest === undefined && e.tags[0] === 'v2'), { description: 'untag event' });

      expect(await ask(Subjects.manifestDelete, { name: 'acme/app', reference: single.digest }, ManifestDeleteReply)).toEqual({
        name: 'acme/app',
        deletedTags: ['v1'],
        deletedDigest: single.digest,
      });
      const gone = await fetch(`${base}/v2/acme/app/manifests/${single.digest}`, { headers: { authorization: adminAuth() } });
      expect(gone.status).toBe(404);
      await waitFor(() => deletedEvents.some((e) => e.repository === 'acme/app' && e.digest === single.digest), { description: 'delete event' });
      expect(await failure(ask(Subjects.manifestDelete, { name: 'acme/app', reference: single.digest }, ManifestDeleteReply))).toBe('MANIFEST_UNKNOWN');
      expect((await ask(Subjects.repositoryGet, { name: 'acme/app' }, RepositoryGetReply)).repository).toMatchObject({ tagCount: 0, manifestCount: 0, tags: [] });
    });

    it('deletes a whole repository', async () => {
      expect(await ask(Subjects.repositoryDelete, { name: 'acme/multi' }, RepositoryDeleteReply)).toEqual({ name: 'acme/multi', deletedManifests: 3 });
      expect(await failure(ask(Subjects.repositoryGet, { name: 'acme/multi' }, RepositoryGetReply))).toBe('NAME_UNKNOWN');
      expect((await ask(Subjects.repositoryList, { team: 'acme' }, RepositoryListReply)).repositories.map((r) => r.name)).toEqual(['acme/app']);
      await waitFor(() => deletedEvents.filter((e) => e.repository === 'acme/multi' && e.digest).length === 3, { description: 'three delete events' });
      expect(await failure(ask(Subjects.repositoryDelete, { name: 'acme/multi' }, RepositoryDeleteReply))).toBe('NAME_UNKNOWN');
    });

    it('lists teams with members, quota and usage; deleting a team removes memberships and robots but keeps repositories', async () => {
      const teams = (await ask(Subjects.teamList, {}, TeamListReply)).teams;
      const acme = teams.find((t) => t.name === 'acme')!;
      expect(acme.quotaBytes).toBe(10_000_000);
      expect(acme.members).toEqual([
        { account: 'acme+ci', role: 'pull' },
        { account: 'acme+deploy', role: 'push' },
        { account: 'alice', role: 'push' },
      ]);
      expect(acme.usedBytes).toBeGreaterThan(0); // acme/app still links its blobs
      expect(teams.find((t) => t.name === 'globex')).toMatchObject({ members: [], usedBytes: 0, quotaBytes: null });

      accountEvents.length = 0;
      expect(await ask(Subjects.teamDelete, { name: 'acme' }, TeamDeleteReply)).toEqual({ deleted: 1 });
      expect(await ask(Subjects.teamDelete, { name: 'acme' }, TeamDeleteReply)).toEqual({ deleted: 0 });
      expect((await ask(Subjects.teamList, {}, TeamListReply)).teams.map((t) => t.name)).toEqual(['globex']);
      expect(await verify(basic('alice', 'alice-password-123'))).toMatchObject({ name: 'alice', teams: [] });
      expect((await ask(Subjects.accountList, { kind: 'robot' }, AccountListReply)).accounts).toEqual([]);
      expect((await ask(Subjects.repositoryList, { team: 'acme' }, RepositoryListReply)).repositories.map((r) => r.name)).toEqual(['acme/app']);
      await waitFor(() => accountEvents.length >= 3, { description: 'team deletion events' });
      expect(accountEvents).toEqual(
        expect.arrayContaining([
          { name: 'alice', change: 'membership' },
          { name: 'acme+ci', change: 'deleted' },
          { name: 'acme+deploy', change: 'deleted' },
        ]),
      );
    });
  });
});
