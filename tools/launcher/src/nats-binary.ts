import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findOnPath(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter(Boolean), ...SEARCH]) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * nats-server's path. When it is missing and we are root on a Debian-family host, installs
 * Debian's `nats-server` package; otherwise explains exactly what to install.
 */
export function ensureNatsServer(log: (line: string) => void): string {
  const found = findOnPath('nats-server');
  if (found) return found;
  const howTo =
    'Silo needs nats-server. Install it (Debian/Ubuntu: sudo apt-get install nats-server; elsewhere: https://docs.nats.io), ' +
    'or point Silo at a running NATS with SILO_NATS_URL=nats://HOST:4222.';
  if (process.getuid?.() !== 0 || !findOnPath('apt-get')) throw new Error(howTo);
  log('nats-server is not installed: installing Debian package nats-server with apt-get …');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', 'nats-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
    if (install().status !== 0) throw new Error(`apt-get could not install nats-server. ${howTo}`);
  }
  const installed = findOnPath('nats-server');
  if (!installed) throw new Error(`nats-server is still not on PATH after installing it. ${howTo}`);
  return installed;
}
