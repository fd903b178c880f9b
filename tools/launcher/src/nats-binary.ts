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
 * The path of COMMAND. When it is missing and we are root on a Debian-family host, installs
 * Debian's PACKAGE; otherwise explains exactly what to install (HOWTO).
 */
export function ensureCommand(command: string, pkg: string, howTo: string, log: (line: string) => void): string {
  const found = findOnPath(command);
  if (found) return found;
  if (process.getuid?.() !== 0 || !findOnPath('apt-get')) throw new Error(howTo);
  log(`${command} is not installed: installing Debian package ${pkg} with apt-get …`);
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
    if (install().status !== 0) throw new Error(`apt-get could not install ${pkg}. ${howTo}`);
  }
  const installed = findOnPath(command);
  if (!installed) throw new Error(`${command} is still not on PATH after installing ${pkg}. ${howTo}`);
  return installed;
}

/** nats-server's path (installed from Debian's package when missing and possible). */
export function ensureNatsServer(log: (line: string) => void): string {
  return ensureCommand(
    'nats-server',
    'nats-server',
    'Silo needs nats-server. Install it (Debian/Ubuntu: sudo apt-get install nats-server; elsewhere: https://docs.nats.io), ' +
      'or point Silo at a running NATS with SILO_NATS_URL=nats://HOST:4222.',
    log,
  );
}

/** What the node agent runs on the host: setfattr (overlay opaque dirs), ip and iptables (networking). */
const AGENT_TOOLS: [command: string, pkg: string][] = [
  ['setfattr', 'attr'],
  ['ip', 'iproute2'],
  ['iptables', 'iptables'],
];

export function ensureAgentTools(log: (line: string) => void): void {
  for (const [command, pkg] of AGENT_TOOLS) {
    ensureCommand(command, pkg, `The node agent needs ${command}: install the ${pkg} package (Debian/Ubuntu: sudo apt-get install ${pkg}).`, log);
  }
}
