import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Directories searched after $PATH: Debian puts daemons such as nats-server in sbin. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of an executable on $PATH (or the sbin dirs), or undefined. */
export function findExecutable(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = isAbsolute(name) ? [name] : [...path.split(delimiter).filter(Boolean), ...EXTRA_DIRS].map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
