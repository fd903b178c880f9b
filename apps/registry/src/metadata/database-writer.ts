import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Every write transaction of the registry goes through here. SQLite (better-sqlite3) has one
 * connection in TypeORM, shared by all callers: two transactions in flight at once would
 * interleave on it, so they are queued. PostgreSQL gets real concurrent transactions.
 */
@Injectable()
export class DatabaseWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serialise: boolean;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.serialise = db.options.type === 'better-sqlite3';
  }

  write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const run = () => this.db.transaction((em) => work(em));
    if (!this.serialise) return run();
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
