/**
 * A Silo cluster on one machine, for the multi-host end-to-end test (issue #5 point 9).
 *
 * - a test bridge `silocl<id>` in the root network namespace with 10.A.B.1/24;
 * - the control plane in the root namespace, bound to the bridge address only: nats-server
 *   (JetStream), the layer store, the registry and the scheduler, all from dist/;
 * - N hosts: host i is a network namespace `silocl<id>-h<i>` with `eth0` = 10.A.B.(10+i)/24 (a veth
 *   to the bridge), `lo` up and no default route (nothing can leave the machine), its own
 *   SILO_HOME, SILO_RUN_DIR, bridge, container subnet and iptables chain prefix, and a real node
 *   agent running inside it.
 *
 * The agent is not started with `ip netns exec` (which gives it a fresh sysfs that hides
 * /sys/fs/cgroup, and a mount namespace whose mounts nobody else sees) but with
 * `nsenter --net` + `unshare --mount --propagation unchanged`, a sysfs of its namespace with the
 * cgroup hierarchies bound back in, and the cluster's work directory made a shared mount: overlay
 * roots the agent mounts there are visible in the root namespace (cleanup) and to the agent's next
 * incarnation (re-adoption), and `/run/netns` (already shared) keeps the containers' namespaces
 * visible everywhere. Containers, mounts and cgroups live in the shared kernel; `stop()` removes
 * them per host, then the namespaces, the bridge and every temp dir, also after a failure.
 */
import { AgentTaskListReply, JoinTokenCreateReply, NodeListReply, NodeSummary, ServiceListReply, Subjects } from '@silo/contracts';
import { freePort, natsRequest, SILO_RUNTIME, stopProcess, track, waitFor } from '@silo/testing';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect, NatsConnection, StringCodec } from 'nats';

const codec = StringCodec();

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../../..');
const dist = (app: string) => join(ROOT, 'dist/apps', app, 'src/main.js');

export interface ClusterOptions {
  /** Number of hosts (default 3). */
  hosts?: number;
  /** Labels of host i (default `zone=z<i>`). */
  labels?: (i: number) => Record<string, string>;
  /** Extra environment for every agent (e.g. SILO_HEARTBEAT_INTERVAL_MS). */
  agentEnv?: Record<string, string>;
  /** Extra environment for the scheduler (e.g. SILO_NODE_DOWN_AFTER_MS). */
  schedulerEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ClusterHost {
  index: number;
  nodeId: string;
  netns: string;
  /** The root-namespace end of the host's veth (on the test bridge). */
  veth: string;
  address: string;
  home: string;
  runDir: string;
  bridge: string;
  subnet: string;
  chainPrefix: string;
  labels: Record<string, string>;
  agent?: ChildProcess;
  output: string;
  alive: boolean;
}

interface Service {
  name: string;
  child: ChildProcess;
  output: string;
}

/** Runs a command; throws with its stderr. */
async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

async function quiet(cmd: string, args: string[]): Promise<void> {
  await run(cmd, args).catch(() => undefined);
}

function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = netConnect({ host, port, timeout: timeoutMs }, () => {
      socket.end();
      done(true);
    });
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

/** Connects to HOST:PORT and returns everything it sends until it closes ('' on failure). */
export function tcpRead(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((done) => {
    let data = '';
    const socket = netConnect({ host, port, timeout: timeoutMs });
    socket.on('data', (d) => (data += d.toString()));
    socket.once('end', () => done(data));
    socket.once('timeout', () => (socket.destroy(), done(data)));
    socket.once('error', () => done(''));
  });
}

export class Cluster {
  readonly id = randomBytes(2).toString('hex');
  readonly bridge = `silocl${this.id}`;
  readonly net: string;
  readonly bridgeIp: string;
  readonly hosts: ClusterHost[] = [];
  /** The work tree (a shared mount): control-plane home, host homes and run dirs. */
  readonly dir = mkdtempSync(join(tmpdir(), `silo-cluster-${this.id}-`));
  /** Per-host sysfs mount points (outside the shared tree, so they never propagate). */
  private readonly sysDir = mkdtempSync(join(tmpdir(), `silo-cluster-${this.id}-sys-`));
  readonly controlHome = join(this.dir, 'control');
  natsUrl = '';
  /** The join token the hosts register with (created over NATS as an admin would); unset with a scheduler that has none. */
  joinToken?: string;
  registryHost = '';
  registryUrl = '';
  credentials = { username: 'admin', password: randomBytes(18).toString('base64url') };
  nc!: NatsConnection;
  /** Scheduler node-state events (`down`, `ready`, …) with the time they arrived. */
  readonly nodeEvents: Array<{ at: number; nodeId: string; state: string }> = [];
  /** Every task id an agent of this cluster reported (for cleanup of what the agents may leave). */
  readonly taskIds = new Set<string>();
  private nats?: Service;
  private readonly services: Service[] = [];
  private sharedMount = false;
  private bridgeMade = false;
  private readonly log: (line: string) => void;

  private constructor(private readonly options: ClusterOptions) {
    const a = 100 + Math.floor(Math.random() * 100);
    const b = Math.floor(Math.random() * 60) * 4;
    this.net = `10.${a}.${b}`;
    this.bridgeIp = `${this.net}.1`;
    this.log = options.log ?? (() => undefined);
  }

  get creds(): string {
    return `${this.credentials.username}:${this.credentials.password}`;
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    for (const app of ['scheduler', 'node-agent', 'registry', 'layer-store']) {
      if (!existsSync(dist(app))) throw new Error(`${dist(app)} is missing: run node tools/build/build.mjs first`);
    }
    const cluster = new Cluster(options);
    try {
      await cluster.setUp(options.hosts ?? 3);
      return cluster;
    } catch (err) {
      await cluster.stop().catch((e: Error) => cluster.log(`cleanup after a failed start: ${e.message}`));
      throw err;
    }
  }

  private async setUp(count: number): Promise<void> {
    // The work tree is a shared mount so that the agents' mounts (in their own mount namespaces) show here.
    await sh('mount', ['--bind', this.dir, this.dir]);
    this.sharedMount = true;
    await sh('mount', ['--make-shared', this.dir]);
    await mkdir(this.controlHome, { recursive: true, mode: 0o700 });

    await sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    this.bridgeMade = true;
    await sh('ip', ['addr', 'add', `${this.bridgeIp}/24`, 'dev', this.bridge]);
    await sh('ip', ['link', 'set', this.bridge, 'up']);
    for (let i = 0; i < count; i++) await this.addHost(i);

    await this.startControlPlane();
    for (const host of this.hosts) await this.startAgent(host);
    await this.waitForNodes(this.hosts.map((h) => h.nodeId), 60_000);
  }

  private async addHost(i: number): Promise<void> {
    const host: ClusterHost = {
      index: i,
      nodeId: `cl${this.id}-h${i}`,
      netns: `silocl${this.id}-h${i}`,
      veth: `scl${this.id}h${i}`,
      address: `${this.net}.${10 + i}`,
      home: join(this.dir, `h${i}`, 'home'),
      runDir: join(this.dir, `h${i}`, 'run'),
      bridge: `silo${this.id}h${i}`,
      // container subnets: 10.A.(B+1+i) — the bridge network is 10.A.B, B a multiple of 4, i < 3
      subnet: `${this.net.split('.').slice(0, 2).join('.')}.${Number(this.net.split('.')[2]) + 1 + i}.0/24`,
      chainPrefix: `SCL${this.id.toUpperCase()}H${i}`,
      labels: this.options.labels?.(i) ?? { zone: `z${i}` },
      output: '',
      alive: false,
    };
    if (i > 2) host.subnet = `10.${250 - i}.${Number(this.net.split('.')[2])}.0/24`;
    this.hosts.push(host);
    await mkdir(host.home, { recursive: true, mode: 0o700 });
    await mkdir(host.runDir, { recursive: true, mode: 0o711 });
    await mkdir(join(this.sysDir, `h${i}`));
    await sh('ip', ['netns', 'add', host.netns]);
    await sh('ip', ['link', 'add', host.veth, 'type', 'veth', 'peer', 'name', `${host.veth}p`, 'netns', host.netns]);
    await sh('ip', ['link', 'set', host.veth, 'master', this.bridge, 'up']);
    const inNs = ['-n', host.netns];
    await sh('ip', [...inNs, 'link', 'set', `${host.veth}p`, 'name', 'eth0']);
    await sh('ip', [...inNs, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    await sh('ip', [...inNs, 'link', 'set', 'eth0', 'up']);
    await sh('ip', [...inNs, 'link', 'set', 'lo', 'up']);
    // No default route on purpose: the hosts reach the control plane on the bridge's /24 and nothing else.
  }

  private spawnService(name: string, cmd: string, args: string[], env: Record<string, string>): Service {
    const child = track(spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const service: Service = { name, child, output: '' };
    const append = (d: Buffer) => (service.output = (service.output + d.toString()).slice(-400_000));
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    return service;
  }

  private baseEnv(): Record<string, string> {
    return Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('SILO_') && v !== undefined)) as Record<string, string>;
  }

  private async startControlPlane(): Promise<void> {
    const natsPort = await freePort();
    const natsStore = join(this.controlHome, 'nats');
    this.nats = this.spawnService('nats', 'nats-server', ['-a', this.bridgeIp, '-p', String(natsPort), '-js', '-sd', natsStore], this.baseEnv());
    this.natsUrl = `nats://${this.bridgeIp}:${natsPort}`;
    await waitFor(
      async () => {
        if (this.nats!.child.exitCode !== null) throw new Error(`nats-server exited: ${this.nats!.output}`);
        return portOpen(this.bridgeIp, natsPort);
      },
      { timeoutMs: 15_000, description: 'nats-server' },
    );
    this.nc = await connect({ servers: this.natsUrl, name: 'cluster-test' });
    const payload = (data: Uint8Array): Record<string, unknown> => {
      try {
        const parsed = JSON.parse(codec.decode(data)) as Record<string, unknown>;
        return (parsed['data'] && typeof parsed['data'] === 'object' ? parsed['data'] : parsed) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    this.nc.subscribe(Subjects.nodeStateEvent, {
      callback: (_err, msg) => {
        const event = payload(msg.data);
        this.nodeEvents.push({ at: Date.now(), nodeId: String(event['nodeId']), state: String(event['state']) });
      },
    });
    this.nc.subscribe(Subjects.taskStateEvent, {
      callback: (_err, msg) => {
        const event = payload(msg.data);
        if (typeof event['taskId'] === 'string' && this.hosts.some((h) => h.nodeId === event['nodeId'])) this.taskIds.add(event['taskId']);
      },
    });

    const [registryPort, layerStorePort] = [await freePort(), await freePort()];
    this.registryHost = `${this.bridgeIp}:${registryPort}`;
    this.registryUrl = `http://${this.registryHost}`;
    await writeFile(
      join(this.controlHome, 'admin-credentials.json'),
      `${JSON.stringify({ ...this.credentials, apiUrl: 'http://127.0.0.1:0', registry: this.registryHost, createdAt: new Date().toISOString() }, null, 2)}\n`,
      { mode: 0o600 },
    );
    const env = {
      ...this.baseEnv(),
      SILO_HOME: this.controlHome,
      SILO_NATS_URL: this.natsUrl,
      SILO_LOG_LEVEL: 'info',
      SILO_BIND_HOST: this.bridgeIp,
      SILO_REGISTRY_PORT: String(registryPort),
      SILO_LAYER_STORE_PORT: String(layerStorePort),
      SILO_LAYER_STORE_URL: `http://${this.bridgeIp}:${layerStorePort}`,
      SILO_PARENT_PID: String(process.pid),
      NO_COLOR: '1',
    };
    for (const [app, port] of [
      ['layer-store', layerStorePort],
      ['registry', registryPort],
    ] as const) {
      const service = this.spawnService(app, process.execPath, ['--enable-source-maps', dist(app)], env);
      this.services.push(service);
      await waitFor(
        async () => {
          if (service.child.exitCode !== null) throw new Error(`${app} exited: ${service.output.slice(-3000)}`);
          try {
            const res = await fetch(`http://${this.bridgeIp}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
            await res.body?.cancel();
            return res.status === 200;
          } catch {
            return false;
          }
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `${app} /healthz` },
      );
    }
    const scheduler = this.spawnService('scheduler', process.execPath, ['--enable-source-maps', dist('scheduler')], { ...env, ...this.options.schedulerEnv });
    this.services.push(scheduler);
    await waitFor(
      async () => {
        if (scheduler.child.exitCode !== null) throw new Error(`scheduler exited: ${scheduler.output.slice(-3000)}`);
        return natsRequest(this.nc, Subjects.serviceList, {}, ServiceListReply, 2000)
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'the scheduler answering' },
    );
    // Hosts join with a token (issue #5 point 1), as `silo node join-token create` makes one.
    try {
      this.joinToken = (await natsRequest(this.nc, Subjects.joinTokenCreate, { description: `cluster test ${this.id}` }, JoinTokenCreateReply, 10_000)).token;
    } catch (err) {
      this.log(`no join token (${(err as Error).message}): the agents register without one`);
    }
  }

  /** Starts host's agent inside its namespace (see the file comment for how). */
  async startAgent(host: ClusterHost): Promise<void> {
    const sys = join(this.sysDir, `h${host.index}`);
    const script = 'set -e; d=$1; shift; mount -t sysfs sysfs "$d"; mount --rbind /sys/fs/cgroup "$d/fs/cgroup"; mount --move "$d" /sys; exec "$@"';
    const env = {
      ...this.baseEnv(),
      SILO_HOME: host.home,
      SILO_NODE_ID: host.nodeId,
      SILO_NATS_URL: this.natsUrl,
      SILO_REGISTRY_URL: this.registryUrl,
      SILO_BRIDGE_NAME: host.bridge,
      SILO_NODE_SUBNET: host.subnet,
      SILO_NETWORK_CHAIN_PREFIX: host.chainPrefix,
      SILO_RUN_DIR: host.runDir,
      SILO_NODE_LABELS: Object.entries(host.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      SILO_LOG_LEVEL: 'info',
      SILO_METRICS_PORT: String(9100 + host.index),
      SILO_PARENT_PID: String(process.pid),
      NO_COLOR: '1',
      ...(this.joinToken ? { SILO_JOIN_TOKEN: this.joinToken } : {}),
      ...this.options.agentEnv,
    };
    const args = ['--net=/run/netns/' + host.netns, '--', 'unshare', '--mount', '--propagation', 'unchanged', '--', '/bin/sh', '-c', script, 'sh', sys, process.execPath, '--enable-source-maps', dist('node-agent')];
    const child = track(spawn('nsenter', args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    host.agent = child;
    host.alive = true;
    const append = (d: Buffer) => (host.output = (host.output + d.toString()).slice(-400_000));
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the agent of ${host.nodeId} exited with ${child.exitCode}:\n${host.output.slice(-5000)}`);
        return natsRequest(this.nc, Subjects.agentTasksList(host.nodeId), {}, AgentTaskListReply, 1000)
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `the agent of ${host.nodeId} answering (output:\n${host.output.slice(-3000)})` },
    );
  }

  /** The scheduler's registered nodes. */
  async nodes(): Promise<NodeSummary[]> {
    return (await natsRequest(this.nc, Subjects.nodeList, {}, NodeListReply, 5000)).nodes;
  }

  async waitForNodes(nodeIds: string[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const nodes = await this.nodes().catch(() => []);
        return nodeIds.every((id) => nodes.some((n) => n.nodeId === id));
      },
      { timeoutMs, intervalMs: 200, description: `nodes ${nodeIds.join(', ')} registered` },
    );
  }

  /** Pids of processes whose network namespace is the host's (its agent and the containers' monitors). */
  private pidsInNetns(host: ClusterHost): number[] {
    let target: string;
    try {
      // the inode of the namespace, as /proc/<pid>/ns/net links show it: net:[INODE]
      target = `net:[${statSync(`/run/netns/${host.netns}`).ino}]`;
    } catch {
      return [];
    }
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/net`) === target) pids.push(Number(entry));
      } catch {
        // gone
      }
    }
    return pids;
  }

  /** Pids in the host's cgroups (its containers), from every v1 hierarchy and the unified one. */
  private pidsInCgroups(host: ClusterHost): number[] {
    const pids = new Set<number>();
    for (const dir of cgroupDirs(host.nodeId)) {
      const walk = (d: string) => {
        try {
          for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
          for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
        } catch {
          // gone
        }
      };
      walk(dir);
    }
    return [...pids];
  }

  /** Host loss: SIGKILL its agent, its containers and their monitors, and unplug its veth. */
  async kill(host: ClusterHost): Promise<void> {
    const agent = host.agent;
    host.alive = false;
    if (agent) await stopProcess(agent, 0, 'SIGKILL');
    host.agent = undefined;
    for (let round = 0; round < 5; round++) {
      const pids = [...this.pidsInCgroups(host), ...this.pidsInNetns(host)];
      if (!pids.length) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await sh('ip', ['link', 'set', host.veth, 'down']);
  }

  /** The host comes back: veth up, its agent started again (same home, same node id). */
  async revive(host: ClusterHost): Promise<void> {
    await sh('ip', ['link', 'set', host.veth, 'up']);
    await this.startAgent(host);
  }

  logs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of this.services) out[s.name] = s.output;
    for (const h of this.hosts) out[h.nodeId] = h.output;
    return out;
  }

  schedulerLog(): string {
    return this.services.find((s) => s.name === 'scheduler')?.output ?? '';
  }

  /** Removes everything the cluster made. Idempotent; keeps going past errors and reports them at the end. */
  async stop(): Promise<void> {
    const errors: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    // 1. Agents first (SIGTERM: they leave containers running), then every container and monitor by force.
    for (const host of this.hosts) {
      if (host.agent) await step(`stop agent ${host.nodeId}`, () => stopProcess(host.agent!, 15_000, 'SIGTERM'));
      host.agent = undefined;
    }
    for (const host of this.hosts) {
      const runtimeRoot = join(host.home, 'node-agent/runtime');
      const ids = existsSync(runtimeRoot) ? readdirSync(runtimeRoot) : [];
      for (const id of ids) await quiet(SILO_RUNTIME, ['--root', runtimeRoot, 'delete', '--force', id]);
      await step(`kill ${host.nodeId}`, () => this.kill(host).catch(() => undefined));
      // the containers' network namespaces (the veths die with them and with the host's namespace)
      for (const netns of containerNetns(host, this.taskIds)) await quiet('ip', ['netns', 'del', netns]);
    }
    // 2. Control plane.
    await step('nats client', () => this.nc?.close());
    for (const service of [...this.services].reverse()) await step(`stop ${service.name}`, () => stopProcess(service.child, 10_000));
    if (this.nats) await step('stop nats', () => stopProcess(this.nats!.child, 5000));
    // 3. Mounts under the work tree (deepest first), cgroups, namespaces, the bridge, directories.
    await step('mounts', async () => {
      for (let pass = 0; pass < 3; pass++) {
        const points = mountPointsUnder(this.dir).filter((p) => p !== this.dir);
        for (const p of points) await quiet('umount', ['-l', p]);
      }
    });
    for (const host of this.hosts) {
      for (const dir of cgroupDirs(host.nodeId)) await step(`cgroups ${dir}`, () => rmdirTree(dir));
      await step(`netns ${host.netns}`, () => quiet('ip', ['netns', 'del', host.netns]));
      await step(`veth ${host.veth}`, () => quiet('ip', ['link', 'del', host.veth]));
      rmSync(`/run/silo/${host.nodeId}`, { recursive: true, force: true });
    }
    for (const controller of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) await quiet('rmdir', [`/sys/fs/cgroup/${controller}/silo`]);
    if (this.bridgeMade) await step('bridge', () => sh('ip', ['link', 'del', this.bridge]));
    this.bridgeMade = false;
    if (this.sharedMount) await step('work tree mount', () => sh('umount', ['-l', this.dir]));
    this.sharedMount = false;
    await step('directories', () => {
      rmSync(this.dir, { recursive: true, force: true });
      rmSync(this.sysDir, { recursive: true, force: true });
    });
    const leftovers = this.leftovers();
    if (errors.length || leftovers.length) throw new Error(`cluster cleanup: ${[...errors, ...leftovers].join('; ')}`);
  }

  /** What of this cluster is still on the machine (empty after stop()). */
  leftovers(): string[] {
    const found: string[] = [];
    if (existsSync(`/sys/class/net/${this.bridge}`)) found.push(`bridge ${this.bridge}`);
    for (const host of this.hosts) {
      if (existsSync(`/run/netns/${host.netns}`)) found.push(`netns ${host.netns}`);
      if (existsSync(`/sys/class/net/${host.veth}`)) found.push(`veth ${host.veth}`);
      for (const dir of cgroupDirs(host.nodeId)) found.push(`cgroup ${dir}`);
      if (existsSync(`/run/silo/${host.nodeId}`)) found.push(`/run/silo/${host.nodeId}`);
    }
    for (const p of mountPointsUnder(this.dir)) found.push(`mount ${p}`);
    if (existsSync(this.dir)) found.push(this.dir);
    if (existsSync(this.sysDir)) found.push(this.sysDir);
    return found;
  }
}

/** /sys/fs/cgroup/<hierarchy>/silo/<node> that exist. */
function cgroupDirs(nodeId: string): string[] {
  if (!existsSync('/sys/fs/cgroup')) return [];
  const dirs: string[] = [];
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    const dir = `/sys/fs/cgroup/${controller}/silo/${nodeId}`;
    if (existsSync(dir)) dirs.push(dir);
  }
  if (existsSync(`/sys/fs/cgroup/silo/${nodeId}`)) dirs.push(`/sys/fs/cgroup/silo/${nodeId}`);
  return dirs;
}

async function rmdirTree(dir: string): Promise<void> {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  await sh('rmdir', [dir]);
}

/** Container network namespaces a host's agent recorded (`silo-<task id>`). */
function containerNetns(host: ClusterHost, taskIds: Set<string>): string[] {
  const names = new Set<string>([...taskIds].map((id) => `silo-${id}`));
  try {
    const state = readFileSync(join(host.home, 'node-agent/network/network.json'), 'utf8');
    for (const m of state.matchAll(/"(silo-[A-Za-z0-9_.-]+)"/g)) names.add(m[1]!);
    const parsed = JSON.parse(state) as { allocations?: Record<string, unknown>; containers?: Record<string, unknown> };
    for (const id of Object.keys(parsed.allocations ?? parsed.containers ?? {})) names.add(`silo-${id}`);
  } catch {
    // no state
  }
  const runtimeRoot = join(host.home, 'node-agent/runtime');
  if (existsSync(runtimeRoot)) for (const id of readdirSync(runtimeRoot)) names.add(`silo-${id}`);
  return [...names].filter((n) => existsSync(`/run/netns/${n}`));
}

function mountPointsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .reverse();
}
