import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnCommandRunner } from './command-runner';
import { NetworkManager, NetworkManagerConfig } from './network-manager';
import { PortConflictError } from './network.types';

/**
 * Bridge networking on the real kernel, as root. Everything it creates has a name of its own (bridge
 * `silot<tag>`, chains `SILOT<tag>-*`, namespaces `silo-t<tag>-*` and `silot<tag>h`, a random unused
 * 10.x subnet), and afterAll removes all of it even when a test fails. The host's iptables rules and
 * ip_forward are compared with what they were before.
 *
 * "Another host" is a namespace joined to the root namespace by a veth pair on its own /30, with no
 * route to the container subnet: it reaches containers only through published ports on the node's
 * address, and containers reach it only through outbound NAT.
 */
/** The iptables backend to test (`SILO_TEST_IPTABLES=legacy` for the legacy one); default nft. */
const BACKEND = process.env['SILO_TEST_IPTABLES'] === 'legacy' ? 'legacy' : 'nft';
const ipt = (args: string[]) => sh(`iptables-${BACKEND}-save`, args);
/** As root it runs (and fails loudly when ip or iptables is missing); otherwise it is skipped. */
const isRoot = process.getuid?.() === 0;
const describeAsRoot = isRoot ? describe : describe.skip;

const sh = (command: string, args: string[], input?: string) => execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const quiet = (command: string, args: string[]) => {
  try {
    sh(command, args);
  } catch {
    // cleanup: whatever is not there is fine
  }
};

/**
 * iptables-save without comments and counters. A table holding only empty ACCEPT built-in chains
 * counts as absent: iptables-nft creates filter and nat on first use and they stay (harmless, and
 * deleting them could race with another user of iptables).
 */
function iptablesRules(backend: 'nft' | 'legacy'): string {
  let text: string;
  try {
    text = sh(`iptables-${backend}-save`, []);
  } catch {
    return '(unavailable)';
  }
  const tables = text.split(/^(?=\*)/m).filter((t) => t.startsWith('*'));
  return tables
    .map((table) =>
      table
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.replace(/\[\d+:\d+\]/, '[0:0]'))
        .join('\n'),
    )
    .filter((table) => table.split('\n').some((line) => line.startsWith('-A') || (line.startsWith(':') && !line.includes(' ACCEPT '))))
    .join('\n');
}

/** A TCP server in a namespace: answers `hello from NAME to REMOTE-ADDRESS` and closes. */
const SERVER = `
const [name, port] = process.argv.slice(1);
require('net').createServer((s) => s.end('hello from ' + name + ' to ' + s.remoteAddress + '\\n'))
  .listen(Number(port), '0.0.0.0', () => process.stdout.write('ready\\n'));
`;
const CLIENT = `
const [host, port] = process.argv.slice(1);
const s = require('net').connect(Number(port), host);
let out = '';
s.setTimeout(3000, () => { process.stderr.write('timeout'); process.exit(2); });
s.on('data', (d) => (out += d)).on('end', () => { process.stdout.write(out); process.exit(0); });
s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
`;

/** A UDP echo in a namespace: answers `NAME got TEXT from ADDRESS`. */
const UDP_SERVER = `
const [name, port] = process.argv.slice(1);
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(name + ' got ' + m + ' from ' + r.address, r.port, r.address));
s.bind(Number(port), '0.0.0.0', () => process.stdout.write('ready\\n'));
`;
const UDP_CLIENT = `
const [host, port] = process.argv.slice(1);
const s = require('dgram').createSocket('udp4');
const timer = setTimeout(() => { process.stderr.write('timeout'); process.exit(2); }, 3000);
s.on('message', (m) => { clearTimeout(timer); process.stdout.write(String(m)); process.exit(0); });
s.send('ping', Number(port), host);
`;

function tcpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let out = '';
    socket.setTimeout(3000, () => socket.destroy(new Error(`timeout connecting to ${host}:${port}`)));
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out.trim()));
    socket.on('error', reject);
  });
}

/** Connects from inside a namespace (node in `ip netns exec`). */
function tcpGetFrom(netns: string, host: string, port: number): string {
  return sh('ip', ['netns', 'exec', netns, process.execPath, '-e', CLIENT, host, String(port)]).trim();
}

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describeAsRoot(`NetworkManager on the real kernel (root, iptables-${BACKEND})`, () => {
  const tag = randomBytes(3).toString('hex');
  const bridge = `silot${tag}`;
  const chainPrefix = `SILOT${tag}`;
  const otherNs = `silot${tag}h`;
  const otherVeth = `silot${tag}x`;
  const ids = { a: `t${tag}-a`, b: `t${tag}-b`, c: `t${tag}-c`, none: `t${tag}-n` };
  const bench = Array.from({ length: 20 }, (_, i) => `t${tag}-p${i}`);
  const allIds = [...Object.values(ids), ...bench];
  const used = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  const freeOctet = (from: number, to: number) => {
    for (;;) {
      const n = randomInt(from, to);
      if (!used.includes(`10.${n}.`)) return n;
    }
  };
  const subnetOctet = freeOctet(200, 240);
  const linkOctet = freeOctet(240, 255);
  const subnet = `10.${subnetOctet}.${randomInt(0, 255)}.0/24`;
  const linkBase = `10.${linkOctet}.${randomInt(0, 255)}.`;
  const nodeLinkIp = `${linkBase}1`;
  const otherHostIp = `${linkBase}2`;
  const hostPort = randomInt(30000, 39000);
  const stateDir = mkdtempSync(join(tmpdir(), 'silo-net-it-'));
  const config: NetworkManagerConfig = { bridge, subnet, stateDir, chainPrefix, iptables: BACKEND };

  const before = { nft: '', legacy: '', ipForward: '' };
  const servers = new Map<string, ChildProcess>();
  let manager: NetworkManager;
  const report: string[] = [];

  async function serve(netns: string, name: string, port: number, script = SERVER): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    servers.set(name, child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`server ${name} exited ${code}: ${err}`)));
    });
  }

  function stopServer(name: string): void {
    const child = servers.get(name);
    if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }

  /**
   * Puts ip_forward back — unless another Silo network (an agent, a parallel test) hooked its chains
   * meanwhile and needs forwarding: switching it off under them would break their containers.
   */
  function restoreIpForward(): void {
    const filters = (['nft', 'legacy'] as const).map((backend) => iptablesRules(backend)).join('\n');
    const othersForward = /^-A FORWARD -j (?!SILOT[0-9a-f]{6}-)\S*-FORWARD$/m.test(filters);
    if (!othersForward || before.ipForward === '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', `${before.ipForward}\n`);
  }

  beforeAll(() => {
    before.nft = iptablesRules('nft');
    before.legacy = iptablesRules('legacy');
    before.ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    // The other host: its own namespace, a /30 to the node, no route to the container subnet.
    sh('ip', ['netns', 'add', otherNs]);
    sh('ip', ['-batch', '-'], [`link add ${otherVeth} type veth peer name eth0 netns ${otherNs}`, `addr add ${nodeLinkIp}/30 dev ${otherVeth}`, `link set ${otherVeth} up`, ''].join('\n'));
    sh('ip', ['-n', otherNs, '-batch', '-'], ['link set lo up', `addr add ${otherHostIp}/30 dev eth0`, 'link set eth0 up', ''].join('\n'));
  });

  afterAll(async () => {
    for (const name of servers.keys()) stopServer(name);
    try {
      await new NetworkManager(config, new SpawnCommandRunner()).uninstall();
    } catch {
      // fall through to the name-based cleanup
    }
    for (const id of allIds) quiet('ip', ['netns', 'del', `silo-${id}`]);
    quiet('ip', ['link', 'del', bridge]);
    quiet('ip', ['link', 'del', otherVeth]);
    quiet('ip', ['netns', 'del', otherNs]);
    restoreIpForward();
    rmSync(stateDir, { recursive: true, force: true });
    if (report.length) process.stdout.write(`\n[network timings] ${report.join('; ')}\n`);
  });

  it('init: bridge up with the gateway, forwarding on, chains hooked once (idempotent)', async () => {
    manager = new NetworkManager(config, new SpawnCommandRunner());
    const started = performance.now();
    await manager.init();
    report.push(`init ${(performance.now() - started).toFixed(1)} ms`);
    await manager.init();
    expect(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', bridge])).toContain(`${manager.gateway}/24`);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe('1');
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8').trim()).toBe('1');
    const saved = ipt([]);
    expect(saved.match(new RegExp(`-A FORWARD -j ${chainPrefix}-FORWARD`, 'g'))).toHaveLength(1);
    expect(saved.match(new RegExp(`-j ${chainPrefix}-DNAT`, 'g'))).toHaveLength(2);
    expect(saved.match(new RegExp(`-A POSTROUTING -j ${chainPrefix}-POSTROUTING`, 'g'))).toHaveLength(1);
  });

  it('bridge: two containers get a namespace with lo and eth0, distinct addresses, and reach each other', async () => {
    const a = await manager.setup(ids.a, 'bridge', [{ hostPort, containerPort: 80, protocol: 'tcp' }]);
    const b = await manager.setup(ids.b, 'bridge');
    expect(a.netnsPath).toBe(`/var/run/netns/silo-${ids.a}`);
    expect(existsSync(a.netnsPath!)).toBe(true);
    expect(a.ip).not.toBe(b.ip);
    const links = sh('ip', ['-n', `silo-${ids.a}`, '-br', 'link']).trim().split('\n').map((line) => line.split(/[ @]/)[0]);
    expect(links.sort()).toEqual(['eth0', 'lo']);
    expect(sh('ip', ['-n', `silo-${ids.a}`, '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).toContain(`${a.ip}/24`);
    expect(sh('ip', ['-n', `silo-${ids.a}`, 'route'])).toContain(`default via ${manager.gateway} dev eth0`);
    expect(readdirSync(`/sys/class/net/${bridge}/brif`).sort()).toEqual([manager.hostVethName(ids.a), manager.hostVethName(ids.b)].sort());

    expect(sh('ip', ['netns', 'exec', `silo-${ids.a}`, 'busybox', 'ping', '-c', '1', '-W', '2', b.ip!])).toContain('1 packets received');
    expect(sh('ip', ['netns', 'exec', `silo-${ids.b}`, 'busybox', 'ping', '-c', '1', '-W', '2', a.ip!])).toContain('1 packets received');
    await serve(`silo-${ids.a}`, 'a', 80);
    expect(tcpGetFrom(`silo-${ids.b}`, a.ip!, 80)).toBe(`hello from a to ${b.ip}`);
  });

  it('a published port is reachable on the host at 127.0.0.1 and the host addresses, and from another host', async () => {
    expect(await tcpGet('127.0.0.1', hostPort)).toMatch(/^hello from a to /);
    expect(await tcpGet(manager.gateway, hostPort)).toMatch(/^hello from a to /);
    expect(await tcpGet(nodeLinkIp, hostPort)).toMatch(/^hello from a to /);
    // From the other host: the container sees the other host's own address (no NAT on the way in).
    expect(tcpGetFrom(otherNs, nodeLinkIp, hostPort)).toBe(`hello from a to ${otherHostIp}`);
    // A container reaching a published port through a host address (hairpin) works too.
    expect(tcpGetFrom(`silo-${ids.b}`, nodeLinkIp, hostPort)).toBe(`hello from a to ${manager.gateway}`);
    // Unpublished: the other host cannot route to containers at all.
    expect(() => tcpGetFrom(otherNs, manager.inspect(ids.a)!.ip!, 80)).toThrow();
  });

  it('ports of a running container can change (same address); a published UDP port works from another host', async () => {
    const ip = manager.inspect(ids.a)!.ip;
    const ports = [
      { hostPort, containerPort: 80, protocol: 'tcp' as const },
      { hostPort, containerPort: 5353, protocol: 'udp' as const },
    ];
    expect(await manager.setup(ids.a, 'bridge', ports)).toMatchObject({ ip, ports });
    await serve(`silo-${ids.a}`, 'a-udp', 5353, UDP_SERVER);
    expect(sh('ip', ['netns', 'exec', otherNs, process.execPath, '-e', UDP_CLIENT, nodeLinkIp, String(hostPort)])).toBe(`a-udp got ping from ${otherHostIp}`);
    expect(tcpGetFrom(otherNs, nodeLinkIp, hostPort)).toBe(`hello from a to ${otherHostIp}`);
  });

  it('outbound NAT: a container reaches the other host, which sees the node address', async () => {
    await serve(otherNs, 'other', 7000);
    expect(tcpGetFrom(`silo-${ids.b}`, otherHostIp, 7000)).toBe(`hello from other to ${nodeLinkIp}`);
  });

  it('a host port another container publishes is a PortConflictError and changes nothing', async () => {
    const links = readdirSync('/sys/class/net').sort();
    const rules = ipt(['-t', 'nat']).replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '');
    await expect(manager.setup(ids.c, 'bridge', [{ hostPort, containerPort: 8080, protocol: 'tcp' }])).rejects.toThrow(PortConflictError);
    expect(readdirSync('/sys/class/net').sort()).toEqual(links);
    expect(ipt(['-t', 'nat']).replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '')).toBe(rules);
    expect(existsSync(`/var/run/netns/silo-${ids.c}`)).toBe(false);
  });

  it('none and host: setup returns no namespace and touches nothing', async () => {
    const links = readdirSync('/sys/class/net').sort();
    const namespaces = readdirSync('/var/run/netns').sort();
    expect(await manager.setup(ids.none, 'none')).toEqual({ mode: 'none', ports: [] });
    expect(await manager.setup(ids.none, 'host')).toEqual({ mode: 'host', ports: [] });
    expect(readdirSync('/sys/class/net').sort()).toEqual(links);
    expect(readdirSync('/var/run/netns').sort()).toEqual(namespaces);
  });

  it('restore after an agent restart keeps the live container working and frees the other', async () => {
    const restarted = new NetworkManager(config, new SpawnCommandRunner());
    const started = performance.now();
    await restarted.init();
    expect(await restarted.restore([ids.a])).toEqual({ kept: [ids.a], released: [ids.b], repaired: [], broken: [] });
    report.push(`restart init+restore ${(performance.now() - started).toFixed(1)} ms`);
    manager = restarted;
    expect(existsSync(`/var/run/netns/silo-${ids.b}`)).toBe(false);
    expect(readdirSync(`/sys/class/net/${bridge}/brif`)).toEqual([restarted.hostVethName(ids.a)]);
    expect(restarted.inspect(ids.b)).toBeUndefined();
    expect(tcpGetFrom(otherNs, nodeLinkIp, hostPort)).toBe(`hello from a to ${otherHostIp}`);
    expect(await tcpGet('127.0.0.1', hostPort)).toMatch(/^hello from a/);
    // b's address is free again, but round-robin hands out a fresh one first.
    const c = await restarted.setup(ids.c, 'bridge');
    expect([restarted.inspect(ids.a)!.ip]).not.toContain(c.ip);
    await restarted.teardown(ids.c);
  });

  it('teardown removes namespace, veth and published port; twice is fine', async () => {
    const veth = manager.hostVethName(ids.a);
    await manager.teardown(ids.a);
    await manager.teardown(ids.a);
    expect(existsSync(`/var/run/netns/silo-${ids.a}`)).toBe(false);
    expect(readdirSync(`/sys/class/net/${bridge}/brif`)).not.toContain(veth); // off the bridge at once
    // The pair dies with the namespace once its last process (the test server) is gone.
    stopServer('a');
    stopServer('a-udp');
    expect(await eventually(() => !existsSync(`/sys/class/net/${veth}`))).toBe(true);
    expect(ipt(['-t', 'nat'])).not.toContain(`--dport ${hostPort}`);
    await expect(tcpGet('127.0.0.1', hostPort)).rejects.toThrow();
  });

  it('timing: sequential and concurrent bridge setup and teardown', async () => {
    const setupMs: number[] = [];
    const setupPortsMs: number[] = [];
    const teardownMs: number[] = [];
    for (const [i, id] of bench.slice(0, 10).entries()) {
      const ports = i % 2 ? [{ hostPort: hostPort + 100 + i, containerPort: 80, protocol: 'tcp' as const }] : [];
      let t = performance.now();
      await manager.setup(id, 'bridge', ports);
      (ports.length ? setupPortsMs : setupMs).push(performance.now() - t);
      t = performance.now();
      await manager.teardown(id);
      teardownMs.push(performance.now() - t);
    }
    let t = performance.now();
    const nets = await Promise.all(bench.map((id, i) => manager.setup(id, 'bridge', [{ hostPort: hostPort + 200 + i, containerPort: 80, protocol: 'tcp' }])));
    const concurrentSetup = performance.now() - t;
    expect(new Set(nets.map((n) => n.ip)).size).toBe(bench.length);
    expect(ipt(['-t', 'nat']).match(new RegExp(`-A ${chainPrefix}-DNAT `, 'g'))).toHaveLength(bench.length);
    t = performance.now();
    await Promise.all(bench.map((id) => manager.teardown(id)));
    const concurrentTeardown = performance.now() - t;
    report.push(
      `bridge setup p50 ${median(setupMs).toFixed(1)} ms (no ports), ${median(setupPortsMs).toFixed(1)} ms (1 port); ` +
        `teardown p50 ${median(teardownMs).toFixed(1)} ms; ${bench.length} concurrent setups ${concurrentSetup.toFixed(0)} ms, teardowns ${concurrentTeardown.toFixed(0)} ms`,
    );
    expect(readdirSync(`/sys/class/net/${bridge}/brif`)).toEqual([]);
  });

  it('uninstall leaves the host as it was (iptables rules, links, namespaces)', async () => {
    await manager.uninstall();
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    for (const id of allIds) expect(existsSync(`/var/run/netns/silo-${id}`)).toBe(false);
    restoreIpForward();
    // Exactly as before; or, when something else changed the rules meanwhile (another Silo test in a
    // parallel worker, whose chains may come and go), at least: nothing else of the host's is gone
    // and nothing of ours is left.
    for (const backend of ['nft', 'legacy'] as const) {
      const after = iptablesRules(backend);
      if (after === before[backend]) continue;
      const lines = (text: string) => new Set(text.split('\n'));
      const [was, is] = [lines(before[backend]), lines(after)];
      expect({ backend, missing: [...was].filter((line) => !is.has(line) && !/^[*:]|^COMMIT$|SILO/.test(line)) }).toEqual({ backend, missing: [] });
      expect({ backend, ours: [...is].filter((line) => line.includes(tag) || line.includes(subnet)) }).toEqual({ backend, ours: [] });
    }
  });
});
