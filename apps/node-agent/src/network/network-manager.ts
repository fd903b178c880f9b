import { TASK_ID_PATTERN } from '@silo/contracts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CommandRunner, HostNetworkProbe, SpawnCommandRunner, SysfsHostNetworkProbe } from './command-runner';
import { detectIptablesBackend, IptablesBackend, iptablesCommands, IptablesCommands, IptablesRules } from './iptables';
import { Ipam } from './ipam';
import { FileNetworkStateStore, NetworkStateStore } from './network-state.store';
import {
  BridgeEndpoint,
  ContainerNetwork,
  NetworkConfigError,
  NetworkError,
  NetworkMode,
  NetworkState,
  PortConflictError,
  PortMapping,
} from './network.types';
import { Coalescer, KeyedSerialQueue, SerialQueue } from './serial';
import { intToIp, ipToInt, isIpv4, Subnet } from './subnet';

export interface NetworkManagerConfig {
  /** The bridge every bridge-mode container is plugged into. Default for the agent: `silo0`. */
  bridge: string;
  /** This node's container subnet, e.g. `10.88.0.0/24`; the bridge takes its first address. */
  subnet: string;
  /** Where the state file (`network.json`: allocations, endpoints, published ports) lives. */
  stateDir: string;
  /** Prefix of Silo's iptables chains (`SILO-FORWARD`, `SILO-DNAT`, `SILO-POSTROUTING`). */
  chainPrefix?: string;
  /** iptables backend; `auto` (default) picks the one holding the host's rules, else nft. */
  iptables?: 'auto' | IptablesBackend;
  /** MTU of the bridge and the veth pairs (default: the kernel's, 1500). */
  mtu?: number;
}

/** What `restore()` did with each bridge container the state knew. */
export interface RestoreResult {
  /** Live, and its network intact. */
  kept: string[];
  /** Not live: network torn down, address released. */
  released: string[];
  /** Live, veth re-created into its namespace. */
  repaired: string[];
  /** Live, but its namespace is gone: network released; the container must be restarted. */
  broken: string[];
}

export interface NetworkManagerOptions {
  probe?: HostNetworkProbe;
  store?: NetworkStateStore;
  clock?: () => Date;
}

/** Where `ip netns add` puts named network namespaces (and where silo-runtime joins them). */
export const NETNS_DIR = '/var/run/netns';
const BRIDGE_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,14}$/;
const CHAIN_PREFIX = /^[A-Za-z][A-Za-z0-9_-]{0,14}$/;

/** The netns name of a container: `silo-<id>`, as silo-runtime expects it. */
export const netnsName = (containerId: string) => `silo-${containerId}`;

/**
 * Container networking on one node: `none`, `host` and `bridge`.
 *
 * bridge: a Linux bridge (`silo0`) holding the subnet's first address; per container a named
 * network namespace (`/var/run/netns/silo-<id>`, which silo-runtime joins), a veth pair (host end on
 * the bridge, the other end `eth0` inside with an address from the IPAM, `lo` up, default route via
 * the bridge), and one DNAT rule per published port. Outbound NAT and the hooks are installed once by
 * `init()`. Nothing is torn down when the agent stops: containers keep their network across agent
 * restarts, and `restore()` re-adopts them.
 *
 * Cost per bridge container: two `ip -batch` processes (host side, then inside the namespace), plus
 * one `iptables-restore` when it publishes ports (concurrent ones share a single rewrite).
 *
 * Concurrency: calls for one container run in order; calls for different containers run in parallel,
 * except the state file (IPAM) and the DNAT chain, which are serialized inside.
 */
export class NetworkManager {
  readonly subnet: Subnet;
  private readonly ipam: Ipam;
  private readonly rules: IptablesRules;
  private readonly probe: HostNetworkProbe;
  private readonly store: NetworkStateStore;
  private readonly clock: () => Date;
  private readonly stateLock = new SerialQueue();
  private readonly perContainer = new KeyedSerialQueue();
  private readonly dnatSync: Coalescer;
  private state?: NetworkState;
  private iptables?: IptablesCommands;
  private initialized = false;

  constructor(
    readonly config: NetworkManagerConfig,
    private readonly runner: CommandRunner = new SpawnCommandRunner(),
    options: NetworkManagerOptions = {},
  ) {
    if (!BRIDGE_NAME.test(config.bridge)) {
      throw new NetworkConfigError(`bridge name "${config.bridge}": 1-15 letters, digits, "_" or "-", starting with a letter`);
    }
    const prefix = config.chainPrefix ?? 'SILO';
    if (!CHAIN_PREFIX.test(prefix)) throw new NetworkConfigError(`chain prefix "${prefix}": 1-15 letters, digits, "_" or "-"`);
    if (config.mtu !== undefined && (!Number.isInteger(config.mtu) || config.mtu < 576 || config.mtu > 65535)) {
      throw new NetworkConfigError(`mtu ${config.mtu}: must be an integer between 576 and 65535`);
    }
    try {
      this.subnet = Subnet.parse(config.subnet);
    } catch (error) {
      throw new NetworkConfigError((error as Error).message);
    }
    this.ipam = new Ipam(this.subnet);
    this.rules = new IptablesRules(prefix, config.bridge, this.subnet.cidr);
    this.probe = options.probe ?? new SysfsHostNetworkProbe();
    this.store = options.store ?? new FileNetworkStateStore(config.stateDir);
    this.clock = options.clock ?? (() => new Date());
    this.dnatSync = new Coalescer(() => this.writeDnatChain());
  }

  /** The gateway address (the bridge's own). */
  get gateway(): string {
    return this.subnet.gateway;
  }

  /** The host end of a container's veth pair: `vs` + 12 hex digits of a hash of bridge and id. */
  hostVethName(containerId: string): string {
    return `vs${createHash('sha256').update(`${this.config.bridge}/${containerId}`).digest('hex').slice(0, 12)}`;
  }

  /** `silo:<bridge>:` — the alias prefix that marks this manager's veths. */
  private get aliasPrefix(): string {
    return `silo:${this.config.bridge}:`;
  }

  private vethAlias(containerId: string): string {
    return `${this.aliasPrefix}${containerId}`;
  }

  netnsPath(containerId: string): string {
    return join(NETNS_DIR, netnsName(containerId));
  }

  /**
   * Idempotent: loads the state, brings the bridge up with the gateway address, turns on
   * `ip_forward` and the bridge's `route_localnet`, and (re)writes Silo's iptables chains — hooked
   * once — with the published ports the state holds.
   */
  async init(): Promise<void> {
    await this.stateLock.run(async () => {
      await this.loadState();
      const { bridge, mtu } = this.config;
      if (!this.probe.netnsDirReady()) {
        // Let one `ip netns add` make /var/run/netns a shared mount now: two first-ever concurrent
        // setups would otherwise both bind-mount it, hiding one namespace under the other mount.
        const ns = `.${bridge}-init`;
        await this.ipBatch([this.probe.pathExists(join(NETNS_DIR, ns)) ? `netns del ${ns}` : undefined, `netns add ${ns}`, `netns del ${ns}`]);
      }
      const batch = [
        this.probe.linkExists(bridge) ? undefined : `link add ${bridge}${mtu ? ` mtu ${mtu}` : ''} type bridge`,
        `addr replace ${this.subnet.gateway}/${this.subnet.prefix} dev ${bridge}`,
        `link set ${bridge} up`,
      ];
      await this.ipBatch(batch);
      if (this.probe.readSysctl('net.ipv4.ip_forward') !== '1') this.probe.writeSysctl('net.ipv4.ip_forward', '1');
      const localnet = `net.ipv4.conf.${bridge}.route_localnet`;
      if (this.probe.readSysctl(localnet) !== '1') this.probe.writeSysctl(localnet, '1');
      const iptables = await this.iptablesCommands();
      const saved = await this.iptablesSave(iptables);
      await this.runner.run(iptables.restore, ['--noflush'], this.rules.installScript(this.state!.endpoints, saved));
      this.initialized = true;
    });
  }

  /**
   * Gives a container its network. bridge: namespace, veth, address and published ports; returns
   * the namespace the runtime must join. none and host: nothing to do on the host (the runtime makes
   * a fresh namespace with only `lo`, or none at all), and published ports are not used.
   * Setting up a bridge container twice returns the same network (ports updated if they changed).
   * A host port another container publishes → PortConflictError, and nothing changed.
   */
  async setup(containerId: string, mode: NetworkMode, ports: PortMapping[] = []): Promise<ContainerNetwork> {
    validateId(containerId);
    if (mode === 'none' || mode === 'host') {
      // A container that was on the bridge before (same id, mode changed) leaves it first.
      if (this.state?.endpoints[containerId]) await this.teardown(containerId);
      return { mode, ports: [] };
    }
    if (mode !== 'bridge') throw new NetworkConfigError(`network mode "${String(mode)}": expected none, host or bridge`);
    const wanted = normalizePorts(containerId, ports);
    return this.perContainer.run(containerId, () => this.setupBridge(containerId, wanted));
  }

  /** Idempotent: published ports, veth pair and namespace removed, the address released. */
  async teardown(containerId: string): Promise<void> {
    validateId(containerId);
    await this.perContainer.run(containerId, () => this.teardownBridge(containerId));
  }

  /**
   * After an agent restart: keeps the network of every live container (re-plugging its veth if that
   * went missing), tears down what belongs to containers that are gone, deletes veths nobody owns,
   * and rewrites the DNAT chain. A live container whose namespace file is gone cannot be repaired:
   * its network is released and its id returned in `broken` (restart it). Call after `init()`.
   */
  async restore(liveContainerIds: string[]): Promise<RestoreResult> {
    this.requireInit();
    const live = new Set(liveContainerIds);
    const endpoints = this.state!.endpoints;
    const result: RestoreResult = { kept: [], released: [], repaired: [], broken: [] };
    result.released = Object.keys(endpoints).filter((id) => !live.has(id));
    await Promise.all(result.released.map((id) => this.teardown(id)));
    await Promise.all(
      Object.keys(endpoints)
        .filter((id) => live.has(id))
        .map((id) =>
          this.perContainer.run(id, async () => {
            const endpoint = endpoints[id];
            if (!endpoint) return;
            if (this.plumbingPresent(endpoint)) {
              result.kept.push(id);
            } else if (!this.probe.pathExists(endpoint.netnsPath)) {
              result.broken.push(id);
              await this.teardownBridge(id);
            } else {
              // The namespace (and the container in it) is there, the veth is not, or off the bridge:
              // a new pair, configured as before (same address, same MAC).
              await this.ipBatch([this.probe.linkExists(endpoint.hostVeth) ? `link del ${endpoint.hostVeth}` : undefined]);
              await this.plumb(id, endpoint);
              result.repaired.push(id);
            }
          }),
        ),
    );
    // Veths nobody owns: a port of our bridge, or one of our (alias-marked) veths left behind by a
    // teardown whose namespace outlived it, or by a crash between creating devices and recording them.
    const owned = new Set(Object.values(endpoints).map((endpoint) => endpoint.hostVeth));
    const ours = [...this.probe.bridgePorts(this.config.bridge), ...this.probe.linksByAlias(this.aliasPrefix).keys()];
    const strays = [...new Set(ours)].filter((name) => !owned.has(name));
    if (strays.length) await this.ipBatch(strays.map((name) => `link del ${name}`), true).catch(() => undefined);
    await this.dnatSync.request();
    for (const list of Object.values(result)) list.sort();
    return result;
  }

  /** The network of a bridge container, or undefined when it has none. */
  inspect(containerId: string): ContainerNetwork | undefined {
    const endpoint = this.state?.endpoints[containerId];
    return endpoint ? this.describe(endpoint) : undefined;
  }

  /** Every bridge container's network, by container id. */
  list(): Record<string, ContainerNetwork> {
    const result: Record<string, ContainerNetwork> = {};
    for (const [id, endpoint] of Object.entries(this.state?.endpoints ?? {})) result[id] = this.describe(endpoint);
    return result;
  }

  /**
   * Removes everything: every container's network, Silo's chains and hooks, the bridge and the
   * state file. For tests and for uninstalling an agent; `ip_forward` is left as it is.
   */
  async uninstall(): Promise<void> {
    await this.loadStateLocked();
    await Promise.all(Object.keys(this.state!.endpoints).map((id) => this.teardown(id)));
    await this.stateLock.run(async () => {
      const iptables = await this.iptablesCommands();
      const script = this.rules.uninstallScript(await this.iptablesSave(iptables));
      if (script) await this.runner.run(iptables.restore, ['--noflush'], script);
      const ports = [...new Set([...this.probe.bridgePorts(this.config.bridge), ...this.probe.linksByAlias(this.aliasPrefix).keys()])];
      const bridge = this.config.bridge;
      await this.ipBatch([...ports.map((port) => `link del ${port}`), this.probe.linkExists(bridge) ? `link del ${bridge}` : undefined], true).catch(
        (error: unknown) => {
          if (this.probe.linkExists(bridge)) throw error;
        },
      );
      await this.store.clear();
      this.state = undefined;
      this.initialized = false;
    });
  }

  // ---------------------------------------------------------------------------------------------

  private async setupBridge(id: string, ports: PortMapping[]): Promise<ContainerNetwork> {
    this.requireInit();
    if (!this.probe.linkExists(this.config.bridge)) await this.init(); // someone deleted the bridge: bring it back
    const existing = this.state!.endpoints[id];
    if (existing) {
      if (this.plumbingPresent(existing)) {
        if (!samePorts(existing.ports, ports)) {
          await this.stateLock.run(async () => {
            this.checkPorts(id, ports);
            existing.ports = ports;
            await this.store.save(this.state!);
          });
          await this.dnatSync.request();
        }
        return this.describe(existing);
      }
      await this.teardownBridge(id); // half there (crash, or someone deleted a piece): start over
    }

    const endpoint = await this.stateLock.run(async () => {
      this.checkPorts(id, ports);
      const allocated = new Set(Object.values(this.state!.endpoints).map((e) => e.ip));
      const ip = this.ipam.next(allocated, this.state!.lastAllocated);
      const created: BridgeEndpoint = {
        ip,
        hostVeth: this.hostVethName(id),
        netnsPath: this.netnsPath(id),
        ports,
        allocatedAt: this.clock().toISOString(),
      };
      this.state!.endpoints[id] = created;
      this.state!.lastAllocated = ip;
      await this.store.save(this.state!); // recorded before any device exists: a crash leaks nothing
      return created;
    });

    try {
      // Devices and published ports at once: a DNAT rule may exist a few ms before its target does.
      const steps = await Promise.allSettled([
        this.removePlumbing(id, endpoint).then(() => this.plumb(id, endpoint)), // leftovers of an earlier life first
        ports.length ? this.dnatSync.request() : undefined,
      ]);
      const failed = steps.find((step): step is PromiseRejectedResult => step.status === 'rejected');
      if (failed) throw failed.reason;
      return this.describe(endpoint);
    } catch (error) {
      await this.removePlumbing(id, endpoint).catch(() => undefined);
      await this.release(id);
      if (ports.length) await this.dnatSync.request().catch(() => undefined);
      if (error instanceof NetworkError) throw error;
      throw new NetworkError(`bridge network for container ${id}: ${(error as Error).message}`);
    }
  }

  private async teardownBridge(id: string): Promise<void> {
    const endpoint = this.state?.endpoints[id];
    let unpublished: Promise<void> | undefined;
    if (endpoint?.ports.length) {
      // Unpublished before the address is released, so a port never points at a free address.
      const ports = endpoint.ports;
      endpoint.ports = [];
      unpublished = this.dnatSync.request().catch((error: unknown) => {
        endpoint.ports = ports; // still published: a retry must unpublish again
        throw error;
      });
    }
    const hostVeth = endpoint?.hostVeth ?? this.hostVethName(id);
    const netnsPath = endpoint?.netnsPath ?? this.netnsPath(id);
    // Detaching the host end from the bridge takes a few ms and cuts the container off at once;
    // deleting the veth synchronously would wait ~25 ms for the kernel (RCU). The pair goes away with
    // the namespace, as soon as no process is left in it (restore() deletes any that lingers).
    const detached = this.ipBatch(
      [
        this.probe.linkExists(hostVeth) ? `link set ${hostVeth} nomaster` : undefined,
        this.probe.pathExists(netnsPath) ? `netns del ${netnsName(id)}` : undefined,
      ],
      true,
    ).catch((error: unknown) => {
      if (this.probe.bridgePorts(this.config.bridge).includes(hostVeth) || this.probe.pathExists(netnsPath)) throw error;
    });
    const steps = await Promise.allSettled([detached, unpublished]);
    const failed = steps.find((step): step is PromiseRejectedResult => step.status === 'rejected');
    if (failed) throw failed.reason;
    if (endpoint) await this.release(id);
  }

  /** Namespace, veth pair, addresses and routes for an endpoint whose devices do not exist. */
  private async plumb(id: string, endpoint: BridgeEndpoint): Promise<void> {
    const { bridge, mtu } = this.config;
    const ns = netnsName(id);
    const mtuArg = mtu ? ` mtu ${mtu}` : '';
    await this.ipBatch([
      this.probe.pathExists(endpoint.netnsPath) ? undefined : `netns add ${ns}`,
      `link add ${endpoint.hostVeth}${mtuArg} master ${bridge} up type veth peer name eth0${mtuArg} address ${macFor(endpoint.ip)} netns ${ns}`,
      `link set ${endpoint.hostVeth} alias ${this.vethAlias(id)}`,
    ]);
    await this.runner.run(
      'ip',
      ['-n', ns, '-batch', '-'],
      [
        'link set lo up',
        `addr add ${endpoint.ip}/${this.subnet.prefix} broadcast ${intToIp(this.subnet.broadcast)} dev eth0`,
        'link set eth0 up',
        `route add default via ${this.subnet.gateway} dev eth0`,
        '',
      ].join('\n'),
    );
  }

  /** Namespace file there, and the host end of the veth a port of our bridge. */
  private plumbingPresent(endpoint: BridgeEndpoint): boolean {
    return this.probe.pathExists(endpoint.netnsPath) && this.probe.bridgePorts(this.config.bridge).includes(endpoint.hostVeth);
  }

  /** Deletes whatever exists of the veth pair and the namespace (synchronously: the names are reused next). */
  private async removePlumbing(id: string, endpoint: Pick<BridgeEndpoint, 'hostVeth' | 'netnsPath'>): Promise<void> {
    await this.ipBatch(
      [
        this.probe.linkExists(endpoint.hostVeth) ? `link del ${endpoint.hostVeth}` : undefined,
        this.probe.pathExists(endpoint.netnsPath) ? `netns del ${netnsName(id)}` : undefined,
      ],
      true,
    ).catch((error: unknown) => {
      // A veth whose namespace was just deleted vanishes on its own: only what is still there counts.
      if (this.probe.linkExists(endpoint.hostVeth) || this.probe.pathExists(endpoint.netnsPath)) throw error;
    });
  }

  private async release(id: string): Promise<void> {
    await this.stateLock.run(async () => {
      if (!this.state?.endpoints[id]) return;
      delete this.state.endpoints[id];
      await this.store.save(this.state);
    });
  }

  /** PortConflictError when a wanted host port is published by another container. */
  private checkPorts(id: string, ports: PortMapping[]): void {
    for (const [owner, endpoint] of Object.entries(this.state!.endpoints)) {
      if (owner === id) continue;
      for (const port of ports) {
        const clash = endpoint.ports.find((other) => portsClash(port, other) && !(port.shareGroup && port.shareGroup === other.shareGroup));
        if (clash) throw new PortConflictError(port, owner);
      }
    }
  }

  /** Rewrites the DNAT chain from the state; reads the state before its first await. */
  private async writeDnatChain(): Promise<void> {
    const script = this.rules.dnatScript(this.state?.endpoints ?? {});
    const iptables = await this.iptablesCommands();
    await this.runner.run(iptables.restore, ['--noflush'], script);
  }

  private describe(endpoint: BridgeEndpoint): ContainerNetwork {
    return {
      mode: 'bridge',
      netnsPath: endpoint.netnsPath,
      ip: endpoint.ip,
      prefixLength: this.subnet.prefix,
      gateway: this.subnet.gateway,
      ports: endpoint.ports.map((port) => ({ ...port })),
    };
  }

  private async ipBatch(commands: Array<string | undefined>, force = false): Promise<void> {
    const lines = commands.filter((line): line is string => !!line);
    if (!lines.length) return;
    await this.runner.run('ip', [...(force ? ['-force'] : []), '-batch', '-'], `${lines.join('\n')}\n`);
  }

  private async iptablesCommands(): Promise<IptablesCommands> {
    if (!this.iptables) {
      const backend = this.config.iptables && this.config.iptables !== 'auto' ? this.config.iptables : await detectIptablesBackend(this.runner);
      this.iptables = iptablesCommands(backend);
    }
    return this.iptables;
  }

  private async iptablesSave(iptables: IptablesCommands): Promise<string> {
    const [filter, nat] = await Promise.all([this.runner.run(iptables.save, ['-t', 'filter']), this.runner.run(iptables.save, ['-t', 'nat'])]);
    return `${filter.stdout}\n${nat.stdout}`;
  }

  private requireInit(): void {
    if (!this.initialized) throw new NetworkError('the network manager is not initialized: call init() first');
  }

  private async loadStateLocked(): Promise<void> {
    await this.stateLock.run(() => this.loadState());
  }

  /** Reads the state file once; a different bridge or subnet is accepted only without endpoints. */
  private async loadState(): Promise<void> {
    if (this.state) return;
    const saved = await this.store.load();
    const fresh: NetworkState = { version: 1, bridge: this.config.bridge, subnet: this.subnet.cidr, endpoints: {} };
    if (!saved) {
      this.state = fresh;
      return;
    }
    if (saved.subnet !== this.subnet.cidr || saved.bridge !== this.config.bridge) {
      const count = Object.keys(saved.endpoints).length;
      if (count > 0) {
        throw new NetworkConfigError(
          `the node's network was ${saved.bridge} ${saved.subnet} and ${count} container(s) still hold addresses there; ` +
            `remove them (or use the old settings) before changing to ${this.config.bridge} ${this.subnet.cidr}`,
        );
      }
      this.state = fresh;
      return;
    }
    this.state = saved;
  }
}

function validateId(id: string): void {
  if (typeof id !== 'string' || !TASK_ID_PATTERN.test(id)) {
    throw new NetworkConfigError(`container id "${String(id)}": 1-63 lowercase letters, digits, ".", "_" or "-"`);
  }
}

/** Checks and copies the requested ports; a host port listed twice is a PortConflictError. */
function normalizePorts(id: string, ports: PortMapping[]): PortMapping[] {
  if (!Array.isArray(ports)) throw new NetworkConfigError('ports must be a list');
  const result: PortMapping[] = [];
  for (const port of ports) {
    const text = `${port?.hostPort}:${port?.containerPort}/${port?.protocol}`;
    for (const key of ['hostPort', 'containerPort'] as const) {
      if (!Number.isInteger(port?.[key]) || port[key] < 1 || port[key] > 65535) {
        throw new NetworkConfigError(`port ${text}: ${key} must be an integer from 1 to 65535`);
      }
    }
    if (port.protocol !== 'tcp' && port.protocol !== 'udp') throw new NetworkConfigError(`port ${text}: protocol must be tcp or udp`);
    if (port.hostIp !== undefined && !isIpv4(port.hostIp)) throw new NetworkConfigError(`port ${text}: hostIp "${port.hostIp}" is not an IPv4 address`);
    const copy: PortMapping = { hostPort: port.hostPort, containerPort: port.containerPort, protocol: port.protocol };
    if (port.hostIp !== undefined && port.hostIp !== '0.0.0.0') copy.hostIp = port.hostIp;
    if (port.shareGroup) copy.shareGroup = port.shareGroup;
    if (result.some((other) => portsClash(copy, other))) throw new PortConflictError(copy, id, true);
    result.push(copy);
  }
  return result;
}

/** Same protocol and host port, on overlapping host addresses (no hostIp = all of them). */
function portsClash(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);
}

function samePorts(a: PortMapping[], b: PortMapping[]): boolean {
  const key = (p: PortMapping) => `${p.hostIp ?? ''}:${p.hostPort}:${p.containerPort}/${p.protocol}:${p.shareGroup ?? ''}`;
  return a.length === b.length && a.map(key).sort().join(',') === b.map(key).sort().join(',');
}

/** A fixed MAC per address (`0a:58:` + the address), so a reused address never meets a stale ARP entry. */
export function macFor(ip: string): string {
  const value = ipToInt(ip);
  const bytes = [0x0a, 0x58, value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
