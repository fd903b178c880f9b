import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';

export interface DatabaseSettings {
  /** The owning service: names the SQLite file and the PostgreSQL schema. */
  service: string;
  /** SILO_HOME; the SQLite file is `$SILO_HOME/<service>/<service>.db`. */
  home: string;
  /** SILO_DATABASE_URL: `postgres://…` selects PostgreSQL; empty means SQLite. */
  databaseUrl?: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

export type DatabaseKind = 'sqlite' | 'postgres';

export function databaseKind(settings: Pick<DatabaseSettings, 'databaseUrl'>): DatabaseKind {
  const url = settings.databaseUrl?.trim();
  if (!url) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`SILO_DATABASE_URL must be a postgres:// URL (or empty for SQLite), got "${url.replace(/:[^:@/]*@/, ':***@')}"`);
}

export function sqlitePath(settings: Pick<DatabaseSettings, 'home' | 'service'>): string {
  return join(settings.home, settings.service, `${settings.service}.db`);
}

/** PostgreSQL schema for a service: several services can share one database. */
export function postgresSchema(service: string): string {
  return `silo_${service.replace(/[^a-z0-9]/g, '_')}`;
}

/**
 * The one TypeORM data-source factory. Schema changes are migrations (run at start inside one
 * transaction), never `synchronize`. SQLite runs in WAL mode with full fsync on commit, so a crash
 * loses no committed transaction; PostgreSQL gets a schema per service.
 */
export function createDataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: settings.entities,
    migrations: settings.migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'all' as const,
    synchronize: false,
    logging: false,
  };
  if (databaseKind(settings) === 'postgres') {
    const schema = postgresSchema(settings.service);
    return {
      ...common,
      type: 'postgres',
      url: settings.databaseUrl,
      schema,
      extra: { options: `-c search_path=${schema}`, max: 10 },
      applicationName: `silo-${settings.service}`,
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: sqlitePath(settings),
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    },
  };
}

/** Prepares what the database needs before TypeORM connects (directory; PostgreSQL schema). */
export async function prepareDatabase(options: DataSourceOptions): Promise<void> {
  if (options.type === 'better-sqlite3') {
    mkdirSync(dirname(options.database), { recursive: true, mode: 0o700 });
    return;
  }
  if (options.type === 'postgres' && options.schema) {
    const client = new Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    } finally {
      await client.end();
    }
  }
}

/** Opens a data source and applies pending migrations (plain code and tests; Nest uses the module). */
export async function openDataSource(settings: DatabaseSettings): Promise<DataSource> {
  const options = createDataSourceOptions(settings);
  await prepareDatabase(options);
  return new DataSource(options).initialize();
}
