import { openDataSource } from '@silo/persistence';
import { findPostgresBin, makeTempDir, startPostgres } from '@silo/testing';
import { DataSource } from 'typeorm';
import { TypeOrmAccountDirectory } from '../accounts/account-directory';
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
    expect(await directory.createAccount({ name: 'acme+ci', kind: 'robot', secretHash: 'h', createdAt: T0 }, { team: 'acme', role: 'push' })).toBe(true);
    expect(await directory.createAccount({ name: 'acme+ci', kind: 'robot', secretHash: 'h', createdAt: T0 })).toBe(false);
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

  it('serialises concurrent writes safely', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => meta.recordBlob(`conc/r${i % 4}`, d(((i % 10) + 0).toString(16)), i, T2)));
    expect((await meta.listRepositories('conc/', 10)).filter((n) => n.startsWith('conc/'))).toEqual(['conc/r0', 'conc/r1', 'conc/r2', 'conc/r3']);
    expect((await meta.blob(d('9')))?.touchedAt).toBe(T2);
  });
});
