import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthIndicator } from './health-indicator';

/** Writes, fsyncs and removes a small file in a directory: proves the disk takes writes. */
export class DiskWritableIndicator implements HealthIndicator {
  readonly name: string;

  constructor(
    private readonly directory: string,
    name = 'disk',
  ) {
    this.name = name;
  }

  async check(): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    const probe = join(this.directory, `.health-${process.pid}-${randomBytes(4).toString('hex')}`);
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('ok');
      await handle.sync();
    } finally {
      await handle.close();
      await unlink(probe).catch(() => undefined);
    }
    return `${this.directory} writable`;
  }
}
