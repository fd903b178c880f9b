import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The generated admin account and where to reach the platform (a class: it is also a DI token). */
export class AdminCredentials {
  username!: string;
  password!: string;
  apiUrl!: string;
  registry!: string;
  createdAt!: string;
}

export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';

/**
 * `$SILO_HOME/admin-credentials.json` (mode 0600): generated once, on the first start, and kept.
 * The addresses in it follow the current configuration; the password never changes by itself.
 * Writes go to a temp file first, so a crash never leaves half a file; the first creation is
 * exclusive (link), so two processes starting at once agree on one password.
 */
@Injectable()
export class AdminCredentialsStore {
  constructor(private readonly home: string) {}

  get path(): string {
    return join(this.home, ADMIN_CREDENTIALS_FILE);
  }

  loadOrCreate(addresses: { apiUrl: string; registry: string }): AdminCredentials {
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (!existsSync(this.path)) {
      const fresh: AdminCredentials = {
        username: 'admin',
        password: randomBytes(18).toString('base64url'),
        ...addresses,
        createdAt: new Date().toISOString(),
      };
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
      try {
        linkSync(tmp, this.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        unlinkSync(tmp);
      }
    }
    const stored = this.read();
    chmodSync(this.path, 0o600);
    if (stored.apiUrl !== addresses.apiUrl || stored.registry !== addresses.registry) {
      const updated = { ...stored, ...addresses };
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(updated, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
      return updated;
    }
    return stored;
  }

  /** The credentials if the file exists (never creates or rewrites it); for services that only verify. */
  tryRead(): AdminCredentials | undefined {
    if (!existsSync(this.path)) return undefined;
    return this.read();
  }

  private read(): AdminCredentials {
    let parsed: Partial<AdminCredentials>;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<AdminCredentials>;
    } catch (err) {
      throw new Error(`${this.path} is not valid JSON (${err instanceof Error ? err.message : String(err)}); remove it to generate new credentials`);
    }
    if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string' || parsed.password.length < 12) {
      throw new Error(`${this.path} lacks a username and a password of 12+ characters; remove it to generate new credentials`);
    }
    return parsed as AdminCredentials;
  }
}
