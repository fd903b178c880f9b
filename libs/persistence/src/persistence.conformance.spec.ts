import { makeTempDir, PostgresHandle, startPostgres, findPostgresBin, TempDir } from '@silo/testing';
import { Column, DataSource, Entity, MigrationInterface, PrimaryColumn, QueryRunner } from 'typeorm';
import { databaseKind, DatabaseSettings, openDataSource, postgresSchema, sqlitePath } from './data-source.factory';
import { DatabaseIndicator } from './database.indicator';

@Entity({ name: 'widget' })
class Widget {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'integer' }) size!: number;
}

class CreateWidget1700000000000 implements MigrationInterface {
  name = 'CreateWidget1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "widget" ("id" varchar(64) PRIMARY KEY NOT NULL, "size" integer NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "widget"`);
  }
}

type Backend = { name: string; settings(service: string): DatabaseSettings; teardown(): Promise<void> };

async function sqliteBackend(): Promise<Backend> {
  const dir: TempDir = await makeTempDir('silo-persist-');
  return {
    name: 'sqlite',
    settings: (service) => ({ service, home: dir.path, entities: [Widget], migrations: [CreateWidget1700000000000] }),
    teardown: () => dir.cleanup(),
  };
}

async function postgresBackend(): Promise<Backend> {
  const pg: PostgresHandle = await startPostgres();
  return {
    name: 'postgres',
    settings: (service) => ({ service, home: '/nonexistent', databaseUrl: pg.url, entities: [Widget], migrations: [CreateWidget1700000000000] }),
    teardown: () => pg.stop(),
  };
}

// PostgreSQL runs wherever its server is installed; in CI (.ci/run installs it) it must run.
const backends: Array<[string, () => Promise<Backend>]> = [['sqlite', sqliteBackend]];
if (findPostgresBin()) backends.push(['postgres', postgresBackend]);
else if (process.env['CI']) throw new Error('CI must test PostgreSQL: apt-get install postgresql');

describe.each(backends)('persistence on %s', (_name, make) => {
  let backend: Backend;
  const open: DataSource[] = [];
  const openFor = async (service: string) => {
    const ds = await openDataSource(backend.settings(service));
    open.push(ds);
    return ds;
  };

  beforeAll(async () => {
    backend = await make();
  }, 60_000);

  afterAll(async () => {
    for (const ds of open) if (ds.isInitialized) await ds.destroy();
    await backend?.teardown();
  });

  it('runs migrations at open, once, and keeps committed rows across reopen', async () => {
    const first = await openFor('alpha');
    await first.getRepository(Widget).save({ id: 'w1', size: 3 });
    await first.destroy();
    const second = await openFor('alpha');
    expect(await second.showMigrations()).toBe(false);
    const executed = await second.query(`SELECT name FROM "migrations"`);
    expect(executed.map((r: { name: string }) => r.name)).toEqual(['CreateWidget1700000000000']);
    expect(await second.getRepository(Widget).findOneBy({ id: 'w1' })).toEqual({ id: 'w1', size: 3 });
  });

  it('keeps services apart (their own file or schema)', async () => {
    const beta = await openFor('beta');
    expect(await beta.getRepository(Widget).count()).toBe(0);
  });

  it('reports health through DatabaseIndicator, and failure once closed', async () => {
    const ds = await openFor('gamma');
    const indicator = new DatabaseIndicator(ds);
    await expect(indicator.check()).resolves.toMatch(/open/);
    await ds.destroy();
    await expect(indicator.check()).rejects.toThrow(/not open/);
  });
});

describe('database settings', () => {
  it('chooses SQLite by default and PostgreSQL by URL', () => {
    expect(databaseKind({})).toBe('sqlite');
    expect(databaseKind({ databaseUrl: 'postgres://u:p@h/db' })).toBe('postgres');
    expect(() => databaseKind({ databaseUrl: 'mysql://u:secret@h/db' })).toThrow(/must be a postgres:\/\/ URL.*mysql:\/\/u:\*\*\*@h\/db/);
  });

  it('puts the SQLite file under SILO_HOME and names a schema per service', () => {
    expect(sqlitePath({ home: '/var/lib/silo', service: 'registry' })).toBe('/var/lib/silo/registry/registry.db');
    expect(postgresSchema('layer-store')).toBe('silo_layer_store');
  });

  it('uses WAL and full fsync for SQLite', async () => {
    const dir = await makeTempDir();
    const ds = await openDataSource({ service: 'wal', home: dir.path, entities: [Widget], migrations: [CreateWidget1700000000000] });
    try {
      expect(await ds.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await ds.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
    } finally {
      await ds.destroy();
      await dir.cleanup();
    }
  });
});
