import { openDataSource } from '@silo/persistence';
import { findPostgresBin, makeTempDir, startPostgres } from '@silo/testing';
import { DataSource } from 'typeorm';
import { TypeOrmAccountDirectory } from '../accounts/account-directory';
import { TypeOrmSessionStore } from '../sessions/session-store';
import { ACCOUNT_ENTITIES } from '../accounts/account.entities';
import { REGISTRY_MIGRATIONS } from '../migrations';
import { REGISTRY_ENTITIES } from './entities';
import { DatabaseWriter } from './database-writer';
import { TypeOrmRegistryMetadata } from './registry-metadata';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const T2 = '2026-01-03T00:00:00.000Z';

type Backend = { open(): Promise<DataSource>; close(): Promise<void> };

async function sqlite(): Promise<Backend> {
  const dir = await makeTempDir();
  return {
    open: () => openDataSource({ service: 'registry', home: dir.path, entities: [...REGISTRY_ENTITIES, ...ACCOUNT_ENTITIES], migrations: REGISTRY_MIGRATIONS }),
    close: () => dir.cleanup(),
  };
}

async function postgres(): Promise<Backend> {
  const pg = await startPostgres();
  return {
    open: () => openDataSource({ service: 'registry', home: '/nonexistent', databaseUrl: pg.url, entities: [...REGISTRY_ENTITIES, ...ACCOUNT_ENTITIES], migrations: REGISTRY_MIGRATIONS }),
    close: () => pg.stop(),
  };
}

const backends: Array<[string, () => Promise<Backend>]> = [['sqlite', sqlite]];
if (findPostgresBin()) backends.push(['postgres', postgres]);
else if (process.env['CI']) throw new Error('CI must test PostgreSQL: apt-get install postgresql');

/** One suite, both databases: the registry's metadata behaves the same on SQLite and PostgreSQL. */
describe.each(backends)('registry metadata on %s', (_name, make) => {
  let backend: Backend;
  let db: DataSource;
  let meta: TypeOrmRegistryMetadata;

  beforeAll(async () => {
    backend = await make();
    db = await backend.open();
    meta = new TypeOrmRegistryMetadata(db, new DatabaseWriter(db));
  }, 60_000);

  afterAll(async () => {
    if (db?.isInitialized) await db.destroy();
    await backend?.close();
  });

  it('records blobs, links them per repository and mounts across', async () => {
    await meta.recordBlob('team/a', d('1'), 100, T0);
    expect(await meta.isLinked('team/a', d('1'))).toBe(true);
    expect(await meta.isLinked('team/b', d('1'))).toBe(false);
    expect(await meta.repository('team/a')).toMatchObject({ name: 'team/a', isPublic: false });
    expect(await meta.link('team/b', d('1'), T1)).toBe(true);
    expect(await meta.link('team/b', d('9'), T1)).toBe(false);
    expect((await meta.blob(d('1')))?.touchedAt).toBe(T1);
    expect((await meta.blob(d('1')))?.size).toBe(100);
    expect(await meta.missingBlobs([d('1'), d('2')])).toEqual([d('2')]);
  });

  it('stores manifests byte for byte with references and tags, and lists tags in order', async () => {
    await meta.recordBlob('team/a', d('2'), 5, T0);
    const payload = Buffer.from('{"schemaVersion":2,"ü":"\\u0000 bytes kept"}');
    await meta.putManifest(
      {
        repository: 'team/a',
        digest: d('m'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/x',
        subject: d('s'),
        payload,
        references: [
          { target: d('1'), kind: 'config' },
          { target: d('2'), kind: 'layer' },
        ],
        tag: 'v2',
      },
      T1,
    );
    await meta.putManifest({ repository: 'team/a', digest: d('n'), mediaType: 'm', artifactType: null, subject: null, payload: Buffer.from('{}'), references: [], tag: 'v10' }, T1);
    const stored = await meta.manifest('team/a', d('m'));
    expect(stored?.payload.equals(payload)).toBe(true);
    expect(stored?.size).toBe(payload.length);
    expect((await meta.tag('team/a', 'v2'))?.digest).toBe(d('m'));
    expect(await meta.listTags('team/a', undefined, 10)).toEqual(['v10', 'v2']);
    expect(await meta.listTags('team/a', 'v10', 10)).toEqual(['v2']);
    expect(await meta.missingManifests('team/a', [d('m'), d('x')])).toEqual([d('x')]);
    expect((await meta.referrers('team/a', d('s'))).map((r) => r.digest)).toEqual([d('m')]);
    expect(await meta.referencedDigests()).toEqual(new Set([d('1'), d('2')]));
  });

  it('deletes a manifest with its tags and references', async () => {
    expect(await meta.deleteManifest('team/a', d('n'))).toEqual(['v10']);
    expect(await meta.deleteManifest('team/a', d('n'))).toBeNull();
    expect(await meta.tag('team/a', 'v10')).toBeNull();
    expect(await meta.deleteTag('team/a', 'v2')).toBe(true);
    expect(await meta.manifest('team/a', d('m'))).not.toBeNull();
  });

  it('GC forgets only stale, unreferenced blobs — atomically', async () => {
    await meta.recordBlob('team/c', d('3'), 7, T0);
    expect((await meta.staleBlobs(T1)).map((b) => b.digest)).toContain(d('3'));
    // referenced by a manifest: kept however old
    expect(await meta.forgetBlobIfUnused(d('1'), T2)).toBe(false);
    // touched after the cut-off: kept
    expect(await meta.forgetBlobIfUnused(d('3'), T0)).toBe(false);
    expect(await meta.forgetBlobIfUnused(d('3'), T1)).toBe(true);
    expect(await meta.blob(d('3'))).toBeNull();
    expect(await meta.isLinked('team/c', d('3'))).toBe(false);
  });

  it('keeps upload sessions, pages the catalog and marks repositories public', async () => {
    await meta.createUpload({ id: '00000000-0000-4000-8000-000000000001', repository: 'team/d', storeUploadId: 'x', startedAt: T0 });
    expect((await meta.upload('00000000-0000-4000-8000-000000000001'))?.repository).toBe('team/d');
    await meta.deleteUpload('00000000-0000-4000-8000-000000000001');
    expect(await meta.upload('00000000-0000-4000-8000-000000000001')).toBeNull();
    await meta.createUpload({ id: '00000000-0000-4000-8000-000000000002', repository: 'team/d', storeUploadId: 'y', startedAt: T0 });
    await meta.recordBlob('team/d', d('7'), 3, T1, '00000000-0000-4000-8000-000000000002');
    expect(await meta.upload('00000000-0000-4000-8000-000000000002')).toBeNull();
    expect(await meta.isLinked('team/d', d('7'))).toBe(true);
    expect(await meta.listRepositories(undefined, 2)).toEqual(['team/a', 'team/b']);
    expect(await meta.listRepositories('team/b', 10)).toEqual(['team/c', 'team/d']);
    expect(await meta.setPublic('team/a', true)).toBe(true);
    expect((await meta.repository('team/a'))?.isPublic).toBe(true);
    expect(await meta.setPublic('nope', true)).toBe(false);
  });

  it('accounts, teams, roles and quota usage counted once per blob per team', async () => {
    const directory = new TypeOrmAccountDirectory(db, new DatabaseWriter(db));
    await directory.putTeam('acme', 1000, T0);
    expect((await directory.putTeam('acme', undefined, T1)).quotaBytes).toBe(1000);
    expect((await directory.putTeam('acme', 2000, T1)).quotaBytes).toBe(2000);
    expect(await directory.createAccount({ name: 'acme+ci', kind: 'robot', secretHash: 'h', createdAt: T0, role: 'member' }, { team: 'acme', role: 'push' })).toBe(true);
    expect(await directory.createAccount({ name: 'acme+ci', kind: 'robot', secretHash: 'h', createdAt: T0, role: 'member' })).toBe(false);
    expect(await directory.role('acme', 'acme+ci')).toBe('push');
    await meta.recordBlob('acme/one', d('a'), 300, T0);
    await meta.recordBlob('acme/two', d('a'), 300, T0);
    await meta.recordBlob('acme/two', d('b'), 50, T0);
    await meta.recordBlob('acmex/other', d('c'), 999, T0);
    expect(await directory.usage('acme')).toBe(350);
    expect(await directory.counted('acme', d('a'))).toBe(true);
    expect(await directory.counted('acme', d('c'))).toBe(false);
    expect(await directory.deleteAccount('acme+ci')).toBe(true);
    expect(await directory.role('acme', 'acme+ci')).toBeUndefined();
  });

  it('keeps cluster-wide roles, lists accounts by kind and team, and deletes teams with their robots and sessions', async () => {
    const writer = new DatabaseWriter(db);
    const directory = new TypeOrmAccountDirectory(db, writer);
    const sessions = new TypeOrmSessionStore(db, writer);
    await directory.putTeam('shop', null, T0);
    await directory.putTeam('shop_x', null, T0);
    // the migration's default: a row written without a role is a member
    await db.query(`INSERT INTO "account" ("name", "kind", "secret_hash", "created_at") VALUES ('carol', 'user', 'h', '${T0}')`);
    expect((await directory.account('carol'))?.role).toBe('member');
    expect(await directory.createAccount({ name: 'dave', kind: 'user', secretHash: 'h', createdAt: T0, role: 'viewer' })).toBe(true);
    expect(await directory.createAccount({ name: 'shop+ci', kind: 'robot', secretHash: 'h', createdAt: T0, role: 'member' }, { team: 'shop', role: 'push' })).toBe(true);
    expect(await directory.createAccount({ name: 'shop_x+ci', kind: 'robot', secretHash: 'h', createdAt: T0, role: 'member' }, { team: 'shop_x', role: 'pull' })).toBe(true);
    await directory.setMember('shop', 'carol', 'admin');
    await directory.setMember('shop_x', 'carol', 'pull');
    expect(await directory.setAccountRole('carol', 'admin')).toBe(true);
    expect(await directory.setAccountRole('nobody', 'admin')).toBe(false);
    expect((await directory.account('carol'))?.role).toBe('admin');

    expect((await directory.accounts({ kind: 'user' })).map((a) => a.name)).toEqual(expect.arrayContaining(['carol', 'dave']));
    expect((await directory.accounts({ kind: 'user' })).every((a) => a.kind === 'user')).toBe(true);
    expect((await directory.accounts({ team: 'shop' })).map((a) => a.name)).toEqual(['carol', 'shop+ci']);
    expect((await directory.accounts({ kind: 'robot', team: 'shop' })).map((a) => a.name)).toEqual(['shop+ci']);
    expect(await directory.accounts({ team: 'empty' })).toEqual([]);
    expect((await directory.memberships(['carol'])).map((m) => [m.team, m.role])).toEqual([
      ['shop', 'admin'],
      ['shop_x', 'pull'],
    ]);
    expect(await directory.memberships([])).toEqual([]);
    expect((await directory.teams()).map((t) => t.name)).toEqual(expect.arrayContaining(['acme', 'shop', 'shop_x']));

    await sessions.create({ tokenHash: 'a'.repeat(64), account: 'shop+ci', kind: 'robot', createdAt: T0, expiresAt: T2 });
    await sessions.create({ tokenHash: 'b'.repeat(64), account: 'carol', kind: 'user', createdAt: T0, expiresAt: T2 });
    // `_` is a LIKE wildcard: deleting shop must not touch shop_x's robot
    expect(await directory.deleteTeam('shop')).toEqual({ members: ['carol'], robots: ['shop+ci'] });
    expect(await directory.deleteTeam('shop')).toBeUndefined();
    expect(await directory.team('shop')).toBeNull();
    expect(await directory.account('shop+ci')).toBeNull();
    expect(await directory.account('shop_x+ci')).not.toBeNull();
    expect(await sessions.find('a'.repeat(64))).toBeNull();
    expect((await directory.memberships(['carol'])).map((m) => m.team)).toEqual(['shop_x']);
    expect((await sessions.find('b'.repeat(64)))?.account).toBe('carol');
    // an account's sessions die with it
    expect(await directory.deleteAccount('carol')).toBe(true);
    expect(await sessions.find('b'.repeat(64))).toBeNull();
  });

  it('stores login sessions by token hash, revokes them and purges expired ones', async () => {
    const sessions = new TypeOrmSessionStore(db, new DatabaseWriter(db));
    await sessions.create({ tokenHash: 'c'.repeat(64), account: 'admin', kind: 'admin', createdAt: T0, expiresAt: T1 });
    await sessions.create({ tokenHash: 'd'.repeat(64), account: 'dave', kind: 'user', createdAt: T0, expiresAt: T2 });
    expect(await sessions.find('c'.repeat(64))).toEqual({ tokenHash: 'c'.repeat(64), account: 'admin', kind: 'admin', createdAt: T0, expiresAt: T1 });
    expect(await sessions.find('e'.repeat(64))).toBeNull();
    expect(await sessions.purgeExpired(T1)).toBe(0);
    expect(await sessions.purgeExpired('2026-01-02T12:00:00.000Z')).toBe(1);
    expect(await sessions.find('c'.repeat(64))).toBeNull();
    expect((await sessions.revoke('d'.repeat(64)))?.account).toBe('dave');
    expect(await sessions.revoke('d'.repeat(64))).toBeNull();
  });

  it('answers catalog queries: repositories by prefix, counts, referenced blob sizes, contents; deletes empty repositories', async () => {
    await meta.recordBlob('cat/app', d('e'), 1000, T0);
    await meta.recordBlob('cat/app', d('f'), 20, T0);
    await meta.recordBlob('cat_x/app', d('e'), 1000, T0);
    const image = (digest: string, refs: Array<[string, 'config' | 'layer' | 'manifest']>, tag?: string, repository = 'cat/app') =>
      meta.putManifest(
        { repository, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: null, subject: null, payload: Buffer.from(`{"m":"${digest}"}`), references: refs.map(([target, kind]) => ({ target, kind })), tag },
        tag === 'v2' ? T2 : T1,
      );
    // d('0') has no blob row: its size is unknown to the metadata
    await image(d('4'), [[d('f'), 'config'], [d('e'), 'layer'], [d('0'), 'layer']], 'v1');
    await image(d('5'), [[d('f'), 'config'], [d('e'), 'layer']], 'v2');
    await image(d('6'), [[d('f'), 'config']], 'x', 'cat_x/app');

    expect((await meta.repositories({ prefix: 'cat/' })).map((r) => r.name)).toEqual(['cat/app']);
    expect((await meta.repositories({ repository: 'cat_x/app' })).map((r) => r.name)).toEqual(['cat_x/app']);
    expect(await meta.repositoryCounts({ prefix: 'cat/' })).toEqual([{ repository: 'cat/app', tagCount: 2, manifestCount: 2, updatedAt: T2 }]);
    expect(await meta.repositoryCounts({ repository: 'cat_x/app' })).toEqual([{ repository: 'cat_x/app', tagCount: 1, manifestCount: 1, updatedAt: T1 }]);
    const referenced = await meta.referencedBlobs({ repository: 'cat/app' });
    expect(referenced.sort((a, b) => (a.digest < b.digest ? -1 : 1))).toEqual([
      { repository: 'cat/app', digest: d('0'), size: null },
      { repository: 'cat/app', digest: d('e'), size: 1000 },
      { repository: 'cat/app', digest: d('f'), size: 20 },
    ]);
    const contents = await meta.repositoryContents('cat/app');
    expect(contents.tags.map((t) => [t.name, t.digest])).toEqual([
      ['v1', d('4')],
      ['v2', d('5')],
    ]);
    expect(contents.manifests.map((m) => m.digest)).toEqual([d('4'), d('5')]);
    expect((contents.manifests[0] as { payload?: Buffer }).payload).toBeUndefined();
    expect(contents.references).toHaveLength(5);

    expect(await meta.deleteRepositoryIfEmpty('cat/app')).toBe(false);
    await meta.deleteManifest('cat/app', d('4'));
    await meta.deleteManifest('cat/app', d('5'));
    expect(await meta.deleteRepositoryIfEmpty('cat/app')).toBe(true);
    expect(await meta.repository('cat/app')).toBeNull();
    expect(await meta.isLinked('cat/app', d('e'))).toBe(false);
    expect(await meta.isLinked('cat_x/app', d('e'))).toBe(true);
    expect(await meta.deleteRepositoryIfEmpty('cat/app')).toBe(false);
  });

  it('serialises concurrent writes safely', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => meta.recordBlob(`conc/r${i % 4}`, d(((i % 10) + 0).toString(16)), i, T2)));
    expect((await meta.listRepositories('conc/', 10)).filter((n) => n.startsWith('conc/'))).toEqual(['conc/r0', 'conc/r1', 'conc/r2', 'conc/r3']);
    expect((await meta.blob(d('9')))?.touchedAt).toBe(T2);
  });
});
