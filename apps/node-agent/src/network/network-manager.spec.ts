import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IptablesRules, parseJumps } from './iptables';
import { macFor, NetworkManager } from './network-manager';
import { FileNetworkStateStore, MemoryNetworkStateStore } from './network-state.store';
import { AddressExhaustedError, NetworkConfigError, NetworkError, PortConflictError } from './network.types';
import { FakeHost } from './testing/fake-host';

const CONFIG = { bridge: 'silo0', subnet: '10.88.0.0/24', stateDir: '/unused', chainPrefix: 'SILO', iptables: 'nft' as const };
const clock = () => new Date('2026-11-28T12:00:00.000Z');

async function started(host = new FakeHost(), store = new MemoryNetworkStateStore(), config: Partial<typeof CONFIG> = {}) {
  const manager = new NetworkManager({ ...CONFIG, ...config }, host, { probe: host, store, clock });
  await manager.init();
  host.clear();
  return { manager, host, store };
}

describe('NetworkManager (fake host)', () => {
  describe('init', () => {
    it('creates the bridge, turns on forwarding and route_localnet, and installs the chains with their hooks in one transaction', async () => {
      const host = new FakeHost();
      const manager = new NetworkManager(CONFIG, host, { probe: host, store: new MemoryNetworkStateStore(), clock });
      await manager.init();
      expect(host.ipBatches()).toEqual([['-batch -', 'link add silo0 type bridge', 'addr replace 10.88.0.1/24 dev silo0', 'link set silo0 up']]);
      expect(host.sysctls.get('net.ipv4.ip_forward')).toBe('1');
      expect(host.sysctls.get('net.ipv4.conf.silo0.route_localnet')).toBe('1');
      const [script] = host.restores();
      expect(host.commands.filter((c) => c.command.startsWith('iptables')).map((c) => `${c.command} ${c.args.join(' ')}`)).toEqual([
        'iptables-nft-save -t filter',
        'iptables-nft-save -t nat',
        'iptables-nft-restore --noflush',
      ]);
      expect(script).toContain(':SILO-FORWARD - [0:0]');
      expect(script).toContain('-I FORWARD 1 -j SILO-FORWARD');
      expect(script).toContain('-I PREROUTING 1 -m addrtype --dst-type LOCAL -j SILO-DNAT');
      expect(script).toContain('-I OUTPUT 1 -m addrtype --dst-type LOCAL -j SILO-DNAT');
      expect(script).toContain('-I POSTROUTING 1 -j SILO-POSTROUTING');
      expect(script).toContain('-A SILO-POSTROUTING -s 10.88.0.0/24 ! -o silo0 -j MASQUERADE');
      expect(script).toContain('-A SILO-FORWARD -o silo0 -m conntrack --ctstate DNAT -j ACCEPT');
    });

    it('is idempotent: a second init keeps the bridge and does not hook the chains twice', async () => {
      const { manager, host } = await started();
      host.iptablesSaved = [
        '*filter',
        ':FORWARD ACCEPT [0:0]',
        ':SILO-FORWARD - [0:0]',
        '-A FORWARD -j SILO-FORWARD',
        '-A FORWARD -j SILO-FORWARD',
        'COMMIT',
        '*nat',
        ':SILO-DNAT - [0:0]',
        ':SILO-POSTROUTING - [0:0]',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j SILO-DNAT',
        '-A OUTPUT -j SILO-DNAT',
        '-A POSTROUTING -j SILO-POSTROUTING',
        'COMMIT',
      ].join('\n');
      await manager.init();
      expect(host.ipBatches()).toEqual([['-batch -', 'addr replace 10.88.0.1/24 dev silo0', 'link set silo0 up']]);
      const [script] = host.restores();
      expect(script).not.toContain('-I FORWARD');
      expect(script).toContain('-D FORWARD -j SILO-FORWARD'); // the duplicate
      expect(script).not.toContain('-I PREROUTING');
      expect(script).toContain('-D OUTPUT -j SILO-DNAT'); // the wrong one, replaced
      expect(script).toContain('-I OUTPUT 1 -m addrtype --dst-type LOCAL -j SILO-DNAT');
      expect(script).not.toContain('-I POSTROUTING');
    });

    it('detects the iptables backend: legacy when the host keeps its rules there', async () => {
      const host = new FakeHost();
      const runs: string[] = [];
      const runner = {
        run: async (command: string, args: readonly string[], input?: string) => {
          runs.push(command);
          if (command === 'iptables-legacy-save') return { stdout: '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n', stderr: '' };
          return host.run(command, args, input);
        },
      };
      const manager = new NetworkManager({ ...CONFIG, iptables: 'auto' }, runner, { probe: host, store: new MemoryNetworkStateStore() });
      await manager.init();
      expect(runs).toContain('iptables-legacy-restore');
      expect(runs).not.toContain('iptables-nft-restore');
    });

    it('makes /var/run/netns a shared mount once, before any container, when nothing did yet', async () => {
      const host = new FakeHost();
      host.netnsReady = false;
      await new NetworkManager(CONFIG, host, { probe: host, store: new MemoryNetworkStateStore() }).init();
      expect(host.ipBatches()[0]).toEqual(['-batch -', 'netns add .silo0-init', 'netns del .silo0-init']);
    });

    it('refuses a changed subnet while containers hold addresses in the old one', async () => {
      const { manager, store } = await started();
      await manager.setup('web', 'bridge');
      const moved = new NetworkManager({ ...CONFIG, subnet: '10.89.0.0/24' }, new FakeHost(), { probe: new FakeHost(), store });
      await expect(moved.init()).rejects.toThrow(/10\.88\.0\.0\/24 and 1 container\(s\) still hold addresses/);
    });

    it('rejects bad configuration at construction', () => {
      expect(() => new NetworkManager({ ...CONFIG, bridge: 'a-very-long-bridge-name' })).toThrow(NetworkConfigError);
      expect(() => new NetworkManager({ ...CONFIG, subnet: '10.88.0.1/24' })).toThrow(/host bits/);
      expect(() => new NetworkManager({ ...CONFIG, chainPrefix: 'BAD PREFIX' })).toThrow(NetworkConfigError);
    });
  });

  describe('none and host', () => {
    it.each(['none', 'host'] as const)('%s: touches nothing on the host and returns no namespace', async (mode) => {
      const { manager, host, store } = await started();
      const saves = store.saves;
      const net = await manager.setup('job-1', mode, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      expect(net).toEqual({ mode, ports: [] });
      expect(host.commands).toEqual([]);
      expect(store.saves).toBe(saves);
      await manager.teardown('job-1');
      expect(host.commands).toEqual([]);
    });

    it('a container moved from bridge to none leaves the bridge', async () => {
      const { manager, host, store } = await started();
      await manager.setup('job-1', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      host.clear();
      expect(await manager.setup('job-1', 'none')).toEqual({ mode: 'none', ports: [] });
      expect(store.saved!.endpoints).toEqual({});
      expect(host.restores()).toEqual(['*nat\n:SILO-DNAT - [0:0]\nCOMMIT\n']);
    });

    it('needs no init', async () => {
      const host = new FakeHost();
      const manager = new NetworkManager(CONFIG, host, { probe: host, store: new MemoryNetworkStateStore() });
      await expect(manager.setup('a', 'none')).resolves.toEqual({ mode: 'none', ports: [] });
    });
  });

  describe('bridge', () => {
    it('creates netns and veth in one ip batch and configures the inside in another', async () => {
      const { manager, host, store } = await started();
      const net = await manager.setup('web-1', 'bridge');
      const veth = manager.hostVethName('web-1');
      expect(veth).toMatch(/^vs[0-9a-f]{12}$/);
      expect(net).toEqual({ mode: 'bridge', netnsPath: '/var/run/netns/silo-web-1', ip: '10.88.0.2', prefixLength: 24, gateway: '10.88.0.1', ports: [] });
      expect(host.ipBatches()).toEqual([
        [
          '-batch -',
          'netns add silo-web-1',
          `link add ${veth} master silo0 up type veth peer name eth0 address 0a:58:0a:58:00:02 netns silo-web-1`,
          `link set ${veth} alias silo:silo0:web-1`,
        ],
        ['-n silo-web-1 -batch -', 'link set lo up', 'addr add 10.88.0.2/24 broadcast 10.88.0.255 dev eth0', 'link set eth0 up', 'route add default via 10.88.0.1 dev eth0'],
      ]);
      expect(host.restores()).toEqual([]); // no published ports: iptables untouched
      expect(store.saved?.endpoints['web-1']).toEqual({ ip: '10.88.0.2', hostVeth: veth, netnsPath: '/var/run/netns/silo-web-1', ports: [], allocatedAt: '2026-11-28T12:00:00.000Z' });
      expect(manager.inspect('web-1')).toEqual(net);
    });

    it('publishes ports with one DNAT rule each, in a rewrite of the DNAT chain only', async () => {
      const { manager, host } = await started();
      await manager.setup('web', 'bridge', [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' },
      ]);
      expect(host.restores()).toEqual([
        [
          '*nat',
          ':SILO-DNAT - [0:0]',
          '-A SILO-DNAT -p tcp -m tcp --dport 8080 -m comment --comment "silo:web" -j DNAT --to-destination 10.88.0.2:80',
          '-A SILO-DNAT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -m comment --comment "silo:web" -j DNAT --to-destination 10.88.0.2:53',
          'COMMIT',
          '',
        ].join('\n'),
      ]);
    });

    it('refuses a host port another container publishes, and changes nothing', async () => {
      const { manager, host, store } = await started();
      await manager.setup('a', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      host.clear();
      const before = JSON.stringify(store.saved);
      const attempt = manager.setup('b', 'bridge', [{ hostPort: 8080, containerPort: 8000, protocol: 'tcp', hostIp: '192.0.2.2' }]);
      await expect(attempt).rejects.toThrow(PortConflictError);
      await expect(manager.setup('b', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }])).rejects.toThrow(
        'host port 8080/tcp is already published by container a',
      );
      expect(host.commands).toEqual([]);
      expect(JSON.stringify(store.saved)).toBe(before);
      // Other protocol, other port: fine.
      await manager.setup('b', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'udp' }]);
    });

    it('refuses a host port listed twice, and bad ports and ids', async () => {
      const { manager, host } = await started();
      const twice = [
        { hostPort: 80, containerPort: 80, protocol: 'tcp' as const },
        { hostPort: 80, containerPort: 81, protocol: 'tcp' as const, hostIp: '127.0.0.1' },
      ];
      await expect(manager.setup('a', 'bridge', twice)).rejects.toThrow('host port 127.0.0.1:80/tcp is published twice by container a');
      await expect(manager.setup('a', 'bridge', [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }])).rejects.toThrow(NetworkConfigError);
      await expect(manager.setup('a', 'bridge', [{ hostPort: 1, containerPort: 80, protocol: 'sctp' as 'tcp' }])).rejects.toThrow(/tcp or udp/);
      await expect(manager.setup('a', 'bridge', [{ hostPort: 1, containerPort: 80, protocol: 'tcp', hostIp: 'localhost' }])).rejects.toThrow(/IPv4/);
      await expect(manager.setup('../etc', 'bridge')).rejects.toThrow(/container id/);
      await expect(manager.setup('a', 'overlay' as 'bridge')).rejects.toThrow(/none, host or bridge/);
      expect(host.commands).toEqual([]);
    });

    it('is idempotent: the same setup twice returns the same network and runs nothing; changed ports are republished', async () => {
      const { manager, host } = await started();
      const first = await manager.setup('web', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      host.clear();
      expect(await manager.setup('web', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }])).toEqual(first);
      expect(host.commands).toEqual([]);
      const changed = await manager.setup('web', 'bridge', [{ hostPort: 9090, containerPort: 80, protocol: 'tcp' }]);
      expect(changed.ip).toBe(first.ip);
      expect(host.ipBatches()).toEqual([]);
      expect(host.restores()).toHaveLength(1);
      expect(host.restores()[0]).toContain('--dport 9090');
    });

    it('starts over when a piece of an existing endpoint disappeared', async () => {
      const { manager, host } = await started();
      await manager.setup('web', 'bridge');
      host.links.delete(manager.hostVethName('web'));
      host.clear();
      const again = await manager.setup('web', 'bridge');
      expect(host.ipBatches()[0]).toEqual(['-force -batch -', 'netns del silo-web']);
      expect(again.ip).toBe('10.88.0.3'); // round-robin: the old address is not reused at once
    });

    it('gives concurrent setups distinct addresses and records each before creating devices', async () => {
      const { manager, host, store } = await started();
      host.delayMs = 2;
      const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
      const nets = await Promise.all(ids.map((id) => manager.setup(id, 'bridge', [{ hostPort: 10000 + Number(id.slice(1)), containerPort: 80, protocol: 'tcp' }])));
      const ips = nets.map((n) => n.ip);
      expect(new Set(ips).size).toBe(30);
      expect(Object.keys(store.saved!.endpoints)).toHaveLength(30);
      // 30 publishing setups at once share a few DNAT rewrites, the last one holding every port.
      const restores = host.restores();
      expect(restores.length).toBeLessThan(30);
      expect(restores.at(-1)!.match(/-j DNAT/g)).toHaveLength(30);
    });

    it('says clearly when the subnet is exhausted, and leaves nothing behind', async () => {
      const { manager, host, store } = await started(new FakeHost(), new MemoryNetworkStateStore(), { subnet: '10.77.0.0/29' });
      for (let i = 0; i < 5; i++) await manager.setup(`c${i}`, 'bridge');
      host.clear();
      await expect(manager.setup('c5', 'bridge')).rejects.toThrow(AddressExhaustedError);
      expect(host.commands).toEqual([]);
      expect(Object.keys(store.saved!.endpoints)).toHaveLength(5);
      await manager.teardown('c1');
      expect((await manager.setup('c5', 'bridge')).ip).toBe('10.77.0.3');
    });

    it('rolls back when a command fails: devices removed, address released, ports unpublished', async () => {
      const { manager, host, store } = await started();
      host.failOn = '-n silo-web';
      await expect(manager.setup('web', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }])).rejects.toThrow(
        /bridge network for container web: ip -n silo-web -batch - failed \(exit 1\): RTNETLINK answers: Operation not permitted/,
      );
      expect(store.saved!.endpoints).toEqual({});
      expect([...host.links.keys()]).toEqual(['silo0']);
      expect(host.paths.size).toBe(0);
      // The port was published while the devices were made, and is unpublished again.
      expect(host.restores()).toHaveLength(2);
      expect(host.restores()[0]).toContain('--dport 8080');
      expect(host.restores()[1]).toBe('*nat\n:SILO-DNAT - [0:0]\nCOMMIT\n');
      await expect(manager.setup('web', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }])).resolves.toMatchObject({ ip: '10.88.0.3' });
    });

    it('tears down: ports first, then veth off the bridge and namespace deleted, then the address; idempotently', async () => {
      const { manager, host, store } = await started();
      await manager.setup('web', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      host.clear();
      await manager.teardown('web');
      expect(host.restores()).toEqual(['*nat\n:SILO-DNAT - [0:0]\nCOMMIT\n']);
      expect(host.ipBatches()).toEqual([['-force -batch -', `link set ${manager.hostVethName('web')} nomaster`, 'netns del silo-web']]);
      expect(host.links.has(manager.hostVethName('web'))).toBe(false); // gone with its namespace
      expect(store.saved!.endpoints).toEqual({});
      expect(manager.inspect('web')).toBeUndefined();
      host.clear();
      await manager.teardown('web');
      await manager.teardown('never-existed');
      expect(host.commands).toEqual([]);
    });

    it('brings the bridge back when someone deleted it', async () => {
      const { manager, host } = await started();
      host.links.delete('silo0');
      await manager.setup('web', 'bridge');
      expect(host.ipBatches()[0]).toEqual(['-batch -', 'link add silo0 type bridge', 'addr replace 10.88.0.1/24 dev silo0', 'link set silo0 up']);
    });

    it('needs init first', async () => {
      const host = new FakeHost();
      const manager = new NetworkManager(CONFIG, host, { probe: host, store: new MemoryNetworkStateStore() });
      await expect(manager.setup('a', 'bridge')).rejects.toThrow(NetworkError);
    });
  });

  describe('restore after an agent restart', () => {
    it('keeps live containers, frees the others, deletes veths nobody owns, repairs or reports missing pieces', async () => {
      const host = new FakeHost();
      const store = new MemoryNetworkStateStore();
      const { manager } = await started(host, store);
      await manager.setup('live', 'bridge', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
      await manager.setup('gone', 'bridge', [{ hostPort: 8081, containerPort: 80, protocol: 'tcp' }]);
      await manager.setup('unplugged', 'bridge');
      await manager.setup('broken', 'bridge');
      host.links.set('vsdeadbeef0000', { master: 'silo0' }); // a crash left a port nobody owns
      host.links.set('vsorphan000000', { alias: 'silo:silo0:old' }); // a veth whose namespace outlived its teardown
      host.links.set('vsother0000000', { alias: 'silo:silo9:x' }); // another bridge's: not ours
      host.links.delete(manager.hostVethName('unplugged')); // someone deleted the veth
      host.paths.delete('/var/run/netns/silo-broken'); // someone removed a namespace

      const restarted = new NetworkManager(CONFIG, host, { probe: host, store, clock });
      await restarted.init();
      expect(host.restores().at(-1)).toContain('--dport 8081'); // init rewrites the state's rules
      host.clear();
      const result = await restarted.restore(['live', 'unplugged', 'broken']);

      expect(result).toEqual({ kept: ['live'], released: ['gone'], repaired: ['unplugged'], broken: ['broken'] });
      expect(Object.keys(store.saved!.endpoints).sort()).toEqual(['live', 'unplugged']);
      expect(restarted.inspect('live')).toMatchObject({ ip: '10.88.0.2', ports: [{ hostPort: 8080 }] });
      expect(restarted.inspect('unplugged')).toMatchObject({ ip: '10.88.0.4' });
      const batches = host.ipBatches();
      expect(batches).toContainEqual(['-force -batch -', `link set ${restarted.hostVethName('gone')} nomaster`, 'netns del silo-gone']);
      // Strays: the crash's port, the broken container's veth (its namespace is gone), the orphan.
      expect(batches.at(-1)!.slice(1).sort()).toEqual(['link del vsdeadbeef0000', `link del ${restarted.hostVethName('broken')}`, 'link del vsorphan000000'].sort());
      expect(batches).toContainEqual(['-n silo-unplugged -batch -', 'link set lo up', 'addr add 10.88.0.4/24 broadcast 10.88.0.255 dev eth0', 'link set eth0 up', 'route add default via 10.88.0.1 dev eth0']);
      expect(batches.some((b) => b.join(' ').includes('netns add silo-unplugged'))).toBe(false); // its namespace is kept
      expect(batches.some((b) => b.join(' ').includes('live'))).toBe(false);
      expect(host.links.has('vsother0000000')).toBe(true);
      const last = host.restores().at(-1)!;
      expect(last).toContain('--dport 8080');
      expect(last).not.toContain('--dport 8081');
      // The next address continues the round-robin where the old agent stopped.
      expect((await restarted.setup('new', 'bridge')).ip).toBe('10.88.0.6');
    });
  });

  describe('uninstall', () => {
    it('removes containers, unhooks and deletes the chains, deletes the bridge and the state', async () => {
      const { manager, host, store } = await started();
      await manager.setup('a', 'bridge');
      host.iptablesSaved = [
        '*filter',
        ':SILO-FORWARD - [0:0]',
        '-A FORWARD -j SILO-FORWARD',
        'COMMIT',
        '*nat',
        ':SILO-DNAT - [0:0]',
        ':SILO-POSTROUTING - [0:0]',
        '-A PREROUTING -m addrtype --dst-type LOCAL -j SILO-DNAT',
        '-A OUTPUT -m addrtype --dst-type LOCAL -j SILO-DNAT',
        '-A POSTROUTING -j SILO-POSTROUTING',
        'COMMIT',
      ].join('\n');
      host.clear();
      await manager.uninstall();
      expect(host.restores()).toEqual([
        [
          '*filter',
          '-D FORWARD -j SILO-FORWARD',
          '-F SILO-FORWARD',
          '-X SILO-FORWARD',
          'COMMIT',
          '*nat',
          '-D PREROUTING -m addrtype --dst-type LOCAL -j SILO-DNAT',
          '-D OUTPUT -m addrtype --dst-type LOCAL -j SILO-DNAT',
          '-D POSTROUTING -j SILO-POSTROUTING',
          '-F SILO-DNAT',
          '-X SILO-DNAT',
          '-F SILO-POSTROUTING',
          '-X SILO-POSTROUTING',
          'COMMIT',
          '',
        ].join('\n'),
      ]);
      expect(host.ipBatches().at(-1)).toEqual(['-force -batch -', 'link del silo0']);
      expect(store.saved).toBeUndefined();
    });
  });
});

describe('IptablesRules', () => {
  it('finds jumps in iptables-save output', () => {
    expect(parseJumps('*nat\n-A OUTPUT -m addrtype --dst-type LOCAL -j X-DNAT\n-A X-DNAT -p tcp -j DNAT --to-destination 1.2.3.4:5\nCOMMIT')).toEqual([
      { table: 'nat', from: 'OUTPUT', spec: '-m addrtype --dst-type LOCAL -j X-DNAT', to: 'X-DNAT' },
    ]);
  });

  it('spreads a shared host port over its group and keeps unshared ports one rule each', () => {
    const rules = new IptablesRules('SILO', 'silo0', '10.88.0.0/24').dnatRules({
      a: { ip: '10.88.0.2', hostVeth: 'va', netnsPath: '/n/a', allocatedAt: '', ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', shareGroup: 'web' }] },
      b: { ip: '10.88.0.3', hostVeth: 'vb', netnsPath: '/n/b', allocatedAt: '', ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', shareGroup: 'web' }] },
      c: { ip: '10.88.0.4', hostVeth: 'vc', netnsPath: '/n/c', allocatedAt: '', ports: [{ hostPort: 9090, containerPort: 90, protocol: 'tcp' }] },
    });
    expect(rules).toHaveLength(3);
    expect(rules[0]).toMatch(/--dport 8080 -m statistic --mode random --probability 0\.50000000 .*--to-destination 10\.88\.0\.2:80/);
    expect(rules[1]).toMatch(/--dport 8080 -m comment .*--to-destination 10\.88\.0\.3:80/);
    expect(rules[1]).not.toMatch(/statistic/);
    expect(rules[2]).toMatch(/--dport 9090 -m comment .*10\.88\.0\.4:90/);
  });

  it('has nothing to uninstall when nothing is there', () => {
    expect(new IptablesRules('SILO', 'silo0', '10.88.0.0/24').uninstallScript('*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n')).toBeUndefined();
  });
});

describe('macFor', () => {
  it('derives a locally administered MAC from the address', () => {
    expect(macFor('10.88.0.2')).toBe('0a:58:0a:58:00:02');
    expect(macFor('192.168.255.254')).toBe('0a:58:c0:a8:ff:fe');
  });
});

describe('FileNetworkStateStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'silo-net-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('persists atomically (no temp file left) and loads what it saved', async () => {
    const store = new FileNetworkStateStore(join(dir, 'sub'));
    expect(await store.load()).toBeUndefined();
    const state = { version: 1 as const, bridge: 'silo0', subnet: '10.88.0.0/24', lastAllocated: '10.88.0.2', endpoints: {} };
    await store.save(state);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['network.json']);
    expect(await store.load()).toEqual(state);
    await store.clear();
    expect(await store.load()).toBeUndefined();
  });

  it('a second manager on the same state directory sees the allocations (no address handed twice)', async () => {
    const host = new FakeHost();
    const first = new NetworkManager({ ...CONFIG, stateDir: dir }, host, { probe: host });
    await first.init();
    await first.setup('a', 'bridge');
    await first.setup('b', 'bridge');
    const second = new NetworkManager({ ...CONFIG, stateDir: dir }, host, { probe: host });
    await second.init();
    expect((await second.setup('c', 'bridge')).ip).toBe('10.88.0.4');
    expect(JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')).endpoints.a.ip).toBe('10.88.0.2');
  });

  it('says which file is broken', async () => {
    writeFileSync(join(dir, 'network.json'), '{"version": 7}');
    await expect(new FileNetworkStateStore(dir).load()).rejects.toThrow(/network\.json is not a network state file this agent understands \(version 7\)/);
    writeFileSync(join(dir, 'network.json'), '{oops');
    await expect(new FileNetworkStateStore(dir).load()).rejects.toThrow(/not valid JSON/);
  });
});
