import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The database answers a query (SQLite file or PostgreSQL server). */
@Injectable()
export class DatabaseIndicator {
  readonly name = 'database';

  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<string> {
    if (!this.dataSource.isInitialized) throw new Error('database is not open');
    await this.dataSource.query('SELECT 1');
    const options = this.dataSource.options;
    if (options.type === 'better-sqlite3') return `sqlite ${options.database} open`;
    return `${options.type} open`;
  }
}
