import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs `ip`, `iptables-restore` and friends. The seam unit tests replace with a recorder. */
export interface CommandRunner {
  /** Resolves with the output when the command exits 0; rejects with CommandError otherwise. */
  run(command: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly input?: string,
  ) {
    super(`${[command, ...args].join(' ')} failed (${exitCode === null ? 'killed' : `exit ${exitCode}`}): ${stderr.trim() || 'no output'}`);
  }
}

/** ip and iptables live in sbin, which a service's PATH may lack; messages in English for the logs. */
const COMMAND_ENV = (() => {
  const path = (process.env['PATH'] ?? '').split(':').filter(Boolean);
  for (const dir of ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (!path.includes(dir)) path.push(dir);
  return { ...process.env, PATH: path.join(':'), LC_ALL: 'C' };
})();

/** Spawns the command directly (no shell), feeding `input` on stdin. */
export class SpawnCommandRunner implements CommandRunner {
  constructor(private readonly timeoutMs = 30_000) {}

  run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.timeoutMs, env: COMMAND_ENV });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error) => reject(new CommandError(command, args, null, error.message, input)));
      child.on('close', (code) => {
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        if (code === 0) resolve({ stdout, stderr });
        else reject(new CommandError(command, args, code, stderr || stdout, input));
      });
      child.stdin.on('error', () => {}); // the command may exit without reading its input
      child.stdin.end(input ?? '');
    });
  }
}

/**
 * What the manager reads and writes on the host without spawning anything: interface and
 * network-namespace existence (sysfs, /var/run/netns) and sysctls (/proc/sys). A seam for tests.
 */
export interface HostNetworkProbe {
  /** A network interface of the host's (the agent's) namespace. */
  linkExists(name: string): boolean;
  /** The interfaces enslaved to a bridge (empty when the bridge does not exist). */
  bridgePorts(bridge: string): string[];
  pathExists(path: string): boolean;
  /** Interfaces whose alias (`ip link set X alias …`, /sys/class/net/X/ifalias) starts with `prefix`: name → alias. */
  linksByAlias(prefix: string): Map<string, string>;
  /** True when /var/run/netns is a mount point (`ip netns add` made it one, shared). */
  netnsDirReady(): boolean;
  /** `net.ipv4.ip_forward` → the value, or undefined when there is no such sysctl. */
  readSysctl(key: string): string | undefined;
  writeSysctl(key: string, value: string): void;
}

/** `net.ipv4.ip_forward` → /proc/sys/net/ipv4/ip_forward (interface names in keys must not contain dots). */
const sysctlPath = (key: string) => `/proc/sys/${key.replace(/\./g, '/')}`;

export class SysfsHostNetworkProbe implements HostNetworkProbe {
  linkExists(name: string): boolean {
    return existsSync(`/sys/class/net/${name}`);
  }

  bridgePorts(bridge: string): string[] {
    try {
      return readdirSync(`/sys/class/net/${bridge}/brif`);
    } catch {
      return [];
    }
  }

  pathExists(path: string): boolean {
    return existsSync(path);
  }

  linksByAlias(prefix: string): Map<string, string> {
    const found = new Map<string, string>();
    let names: string[];
    try {
      names = readdirSync('/sys/class/net');
    } catch {
      return found;
    }
    for (const name of names) {
      try {
        const alias = readFileSync(`/sys/class/net/${name}/ifalias`, 'utf8').trim();
        if (alias.startsWith(prefix)) found.set(name, alias);
      } catch {
        // gone meanwhile, or no alias support
      }
    }
    return found;
  }

  netnsDirReady(): boolean {
    try {
      const dir = realpathSync('/var/run/netns');
      return readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .some((line) => line.split(' ')[4] === dir);
    } catch {
      return false;
    }
  }

  readSysctl(key: string): string | undefined {
    try {
      return readFileSync(sysctlPath(key), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  writeSysctl(key: string, value: string): void {
    writeFileSync(sysctlPath(key), `${value}\n`);
  }
}
