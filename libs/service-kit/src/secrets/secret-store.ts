import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keys shared by the services of one platform, kept in `$SILO_HOME/keys/<name>.key` (0600):
 * created by whichever service needs one first (exclusive create, so two services starting at once
 * agree on one key), then read by all.
 */
export class SecretStore {
  constructor(private readonly home: string) {}

  path(name: string): string {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid key name "${name}"`);
    return join(this.home, 'keys', `${name}.key`);
  }

  /** The key's bytes (32 random bytes on first use), or a PEM/text key as written by `put`. */
  getOrCreate(name: string, create: () => Buffer = () => randomBytes(32)): Buffer {
    const file = this.path(name);
    try {
      return readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    mkdirSync(join(this.home, 'keys'), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, create(), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    return readFileSync(file);
  }
}
