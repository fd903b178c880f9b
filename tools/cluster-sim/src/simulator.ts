import {
  AgentTaskSetReply,
  AgentTaskSetRequest,
  AgentTaskSpec,
  ContractViolation,
  HeartbeatImage,
  NodeHeartbeatEvent,
  NodeRegisterReply,
  NodeRegisterRequest,
  Subjects,
  TASK_STATES,
  TaskState,
  TaskStatus,
  validateContract,
} from '@silo/contracts';
import { createHash } from 'node:crypto';
import { connect, Msg, NatsConnection, Subscription } from 'nats';
import { decodeIncoming, decodeReply, encodeErrorReply, encodeEvent, encodeReply, encodeRequest } from './wire';

/**
 * Simulated node agents: N of them in one process over one (or a few) real NATS connections,
 * each behaving as the real agent (apps/node-agent) does as far as the scheduler can tell. It
 * registers on `silo.scheduler.node.register` (retrying with backoff until answered, then again
 * periodically), heartbeats `silo.node-agent.heartbeat` every interval (capacity, allocatable after
 * its tasks' limits, labels, images, tasks), serves `silo.agent.<id>.tasks.set|tasks.list|health|
 * stats`, and reconciles a desired set the way the agent does — new tasks go pulling → starting →
 * running, tasks that left the set stopping → removed, a changed spec is replaced, the same set
 * twice changes nothing, an older generation is ignored — publishing each change on
 * `silo.node-agent.task-state`. No containers run: the transitions just take configurable delays.
 *
 * A node can be killed (it stops heartbeating and answering, its task transitions freeze: a lost
 * host) and revived (it re-registers and heartbeats again with its tasks as they were: a host that
 * comes back).
 */

const GiB = 1024 ** 3;

export interface SimulatedClusterOptions {
  natsUrl: string;
  /** Number of simulated nodes (default 10). */
  nodes?: number;
  /** Node ids are `<prefix>-<index>`, zero-padded (default `sim`). */
  nodeIdPrefix?: string;
  /** Per-node capacity (defaults: 8 CPUs, 32 GiB, 4,194,304 pids). */
  cpuMillis?: number;
  memoryBytes?: number;
  pids?: number;
  arch?: string;
  /** Labels of every node, or per node (by index). */
  labels?: Record<string, string> | ((index: number, nodeId: string) => Record<string, string>);
  /** Adds the label `zone=<zones[index % zones.length]>`. */
  zones?: string[];
  /** Heartbeat period in ms (default 1000, as the agent's SILO_HEARTBEAT_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
  /** Time a task spends pulling an image the node does not have (default 20 ms). */
  pullDelayMs?: number;
  /** Time from starting to running (default 20 ms). */
  startDelayMs?: number;
  /** Time from stopping to removed (default 10 ms). */
  stopDelayMs?: number;
  /** Each delay varies uniformly by ± this fraction (default 0.5). */
  jitter?: number;
  /** Images every node has from the start (no pulling for them). */
  preloadedImages?: string[];
  /** `wildcard`: one subscription `silo.agent.*.>` serves every node (default; a killed node's
   * requests time out, like a host that vanished). `per-node`: one subscription per node, dropped
   * while it is killed (its requests fail at once with "no responders", like an agent whose
   * connection closed). */
  subscriptions?: 'wildcard' | 'per-node';
  /** NATS connections to spread publishing over (default 1; requests are served on the first). */
  connections?: number;
  /** Validate tasks.set requests against the contract as the agent does (default true). */
  validate?: boolean;
  registerTimeoutMs?: number;
  registerRetryMinMs?: number;
  registerRetryMaxMs?: number;
  /** Re-registration period once registered (default 30 s, as the agent). */
  registerRefreshMs?: number;
  /** Do not register at start (tests of the scheduler's side may want to register by hand). */
  noRegister?: boolean;
  /** Diagnostics (default: none). */
  log?: (message: string) => void;
}

export interface SimulatedClusterCounts {
  nodes: number;
  alive: number;
  killed: number;
  registered: number;
  /** Tasks present on live and killed nodes by state (removed tasks are gone, as on the agent). */
  tasks: Record<TaskState, number>;
  totalTasks: number;
  setsReceived: number;
  setsApplied: number;
  setsRejected: number;
  stateEvents: number;
  heartbeats: number;
  registrations: number;
  registrationFailures: number;
  /** The latest registration failure (the scheduler's error, a timeout, "503": no responders). */
  lastRegistrationError?: string;
}

interface SimTask {
  spec: AgentTaskSpec;
  hash: string;
  status: TaskStatus;
  timer?: NodeJS.Timeout;
  /** The next transition and its delay; kept while the node is killed, rescheduled on revive. */
  next?: { run: () => void; delayMs: number };
  removing: boolean;
  /** Start this spec once the task is removed (a changed spec, or it was wanted again meanwhile). */
  thenStart?: AgentTaskSpec;
}

/** Keys in a stable order, so equal specs hash equal (as the agent's specHash). */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const LIVE_STATES = new Set<TaskState>(['pulling', 'starting', 'running', 'stopping']);

function emptyStateCounts(): Record<TaskState, number> {
  return Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
}

/** One simulated node agent. */
export class SimulatedNode {
  readonly hostname: string;
  alive = true;
  registered = false;
  registrations = 0;
  generation = -1;
  sequence = 0;
  nextBeatAt = 0;
  /** Bumped on kill and revive, so late replies and timers of an earlier life are ignored. */
  epoch = 0;
  readonly tasks = new Map<string, SimTask>();
  readonly images = new Map<string, HeartbeatImage>();
  registerTimer?: NodeJS.Timeout;
  subscription?: Subscription;
  private ipCounter = 1;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly labels: Record<string, string>,
    readonly capacity: { cpuMillis: number; memoryBytes: number; pids: number },
    readonly arch: string,
    private readonly cluster: SimulatedCluster,
  ) {
    this.hostname = `${id}.sim`;
  }

  registerRequest(): NodeRegisterRequest {
    return {
      nodeId: this.id,
      hostname: this.hostname,
      agentVersion: 'cluster-sim',
      platform: { os: 'linux', arch: this.arch },
      kernel: '6.1.0-sim',
      cgroupMode: 'v2',
      capacity: { cpuMillis: this.capacity.cpuMillis, memoryBytes: this.capacity.memoryBytes },
      labels: this.labels,
    };
  }

  statuses(): TaskStatus[] {
    return [...this.tasks.values()].map((t) => ({ ...t.status }));
  }

  heartbeat(): NodeHeartbeatEvent {
    const used = { cpuMillis: 0, memoryBytes: 0, pids: 0 };
    const tasks: NodeHeartbeatEvent['tasks'] = [];
    for (const task of this.tasks.values()) {
      tasks.push({ taskId: task.status.taskId, state: task.status.state });
      if (!LIVE_STATES.has(task.status.state)) continue;
      used.cpuMillis += task.spec.resources?.cpuMillis ?? 0;
      used.memoryBytes += task.spec.resources?.memoryBytes ?? 0;
      used.pids += task.spec.resources?.pids ?? 0;
    }
    const c = this.capacity;
    return {
      nodeId: this.id,
      at: new Date().toISOString(),
      sequence: this.sequence++,
      generation: Math.max(0, this.generation),
      capacity: { ...c },
      allocatable: {
        cpuMillis: Math.max(0, c.cpuMillis - used.cpuMillis),
        memoryBytes: Math.max(0, c.memoryBytes - used.memoryBytes),
        pids: Math.max(0, c.pids - used.pids),
      },
      labels: this.labels,
      images: [...this.images.values()],
      tasks,
    };
  }

  /** Reconciles toward the desired set, as TaskSetService.apply does. */
  apply(request: AgentTaskSetRequest): AgentTaskSetReply {
    if (request.generation < this.generation) return { generation: this.generation, applied: false, tasks: this.statuses() };
    this.generation = request.generation;
    const wanted = new Map<string, AgentTaskSpec>();
    for (const spec of request.tasks) wanted.set(spec.taskId, spec);
    for (const [id, task] of this.tasks) {
      const spec = wanted.get(id);
      if (!spec) {
        task.thenStart = undefined;
        if (!task.removing) this.remove(task);
        continue;
      }
      const hash = sha256(stableJson(spec));
      if (task.removing) {
        // Wanted again (or changed) while it stops: start it once it is gone.
        task.thenStart = spec;
      } else if (hash !== task.hash) {
        task.thenStart = spec;
        this.remove(task);
      }
    }
    for (const [id, spec] of wanted) if (!this.tasks.has(id)) this.start(spec);
    return { generation: this.generation, applied: true, tasks: this.statuses() };
  }

  private start(spec: AgentTaskSpec): void {
    const task: SimTask = {
      spec,
      hash: sha256(stableJson(spec)),
      status: { nodeId: this.id, taskId: spec.taskId, state: 'pending', at: new Date().toISOString(), restarts: 0 },
      removing: false,
    };
    this.tasks.set(spec.taskId, task);
    this.cluster.countState(undefined, 'pending');
    const image = this.images.get(spec.image);
    const starting = () => {
      const digest = this.images.get(spec.image)?.digest;
      this.setState(task, 'starting', digest ? { imageDigest: digest } : {});
      this.schedule(task, this.cluster.delay('start'), () => {
        const now = new Date().toISOString();
        this.setState(task, 'running', { startedAt: now, pid: 100_000 + this.ipCounter, ip: `10.${this.index >> 8}.${this.index & 255}.${(this.ipCounter++ % 250) + 2}` });
      });
    };
    if (image) {
      this.schedule(task, 0, starting);
    } else {
      this.schedule(task, 0, () => {
        this.setState(task, 'pulling', {});
        this.schedule(task, this.cluster.delay('pull'), () => {
          this.addImage(spec.image);
          starting();
        });
      });
    }
  }

  private remove(task: SimTask): void {
    task.removing = true;
    this.cancel(task);
    const live = task.status.state === 'running' || task.status.state === 'starting' || task.status.state === 'pulling';
    const finish = () => {
      this.tasks.delete(task.status.taskId);
      this.setState(task, 'removed', { finishedAt: new Date().toISOString() });
      const again = task.thenStart;
      if (again) this.start(again);
    };
    if (live) {
      this.schedule(task, 0, () => {
        this.setState(task, 'stopping', {});
        this.schedule(task, this.cluster.delay('stop'), finish);
      });
    } else {
      this.schedule(task, 0, finish);
    }
  }

  addImage(reference: string): void {
    if (this.images.has(reference)) return;
    this.images.set(reference, { reference, digest: `sha256:${sha256(reference)}`, layers: [`sha256:${sha256(`${reference}#layer`)}`], sizeBytes: 10 * 1024 * 1024 });
  }

  private setState(task: SimTask, state: TaskState, extra: Partial<TaskStatus>): void {
    const previous = task.status.state;
    const next: TaskStatus = { ...task.status, ...extra, state, at: new Date().toISOString() };
    if (state !== 'running') {
      delete next.pid;
    }
    task.status = next;
    // A removed task is gone from the node (and from the counts), as on the agent.
    this.cluster.countState(previous, state === 'removed' ? undefined : state);
    this.cluster.publishState(this, next);
  }

  private schedule(task: SimTask, delayMs: number, run: () => void): void {
    task.next = { run, delayMs };
    if (!this.alive) return;
    const epoch = this.epoch;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      if (!this.alive || epoch !== this.epoch) return;
      task.next = undefined;
      run();
    }, delayMs);
  }

  private cancel(task: SimTask): void {
    if (task.timer) clearTimeout(task.timer);
    task.timer = undefined;
    task.next = undefined;
  }

  /** A lost host: no heartbeats, no answers, transitions frozen where they are. */
  freeze(): void {
    this.alive = false;
    this.epoch++;
    clearTimeout(this.registerTimer);
    for (const task of this.tasks.values()) {
      if (task.timer) clearTimeout(task.timer);
      task.timer = undefined;
    }
  }

  /** The host is back: transitions resume where they stopped. */
  thaw(): void {
    this.alive = true;
    this.epoch++;
    for (const task of this.tasks.values()) {
      const next = task.next;
      if (next) this.schedule(task, next.delayMs, next.run);
    }
  }

  clearTimers(): void {
    clearTimeout(this.registerTimer);
    for (const task of this.tasks.values()) if (task.timer) clearTimeout(task.timer);
  }
}

type StateListener = (status: TaskStatus) => void;

export class SimulatedCluster {
  readonly nodes: SimulatedNode[] = [];
  private readonly byId = new Map<string, SimulatedNode>();
  private readonly connections: NatsConnection[] = [];
  private readonly subscriptions: Subscription[] = [];
  private ticker?: NodeJS.Timeout;
  private stopped = false;
  private readonly listeners = new Set<StateListener>();
  private readonly stateCounts = emptyStateCounts();
  private readonly stats = { setsReceived: 0, setsApplied: 0, setsRejected: 0, stateEvents: 0, heartbeats: 0, registrationFailures: 0 };
  private readonly o: Required<Omit<SimulatedClusterOptions, 'labels' | 'zones' | 'log' | 'preloadedImages'>> & Pick<SimulatedClusterOptions, 'labels' | 'zones' | 'log' | 'preloadedImages'>;
  private readonly startedAt = new Date().toISOString();
  private lastRegistrationError?: string;

  constructor(options: SimulatedClusterOptions) {
    this.o = {
      nodes: 10,
      nodeIdPrefix: 'sim',
      cpuMillis: 8000,
      memoryBytes: 32 * GiB,
      pids: 4_194_304,
      arch: 'amd64',
      heartbeatIntervalMs: 1000,
      pullDelayMs: 20,
      startDelayMs: 20,
      stopDelayMs: 10,
      jitter: 0.5,
      subscriptions: 'wildcard',
      connections: 1,
      validate: true,
      registerTimeoutMs: 10_000,
      registerRetryMinMs: 500,
      registerRetryMaxMs: 10_000,
      registerRefreshMs: 30_000,
      noRegister: false,
      ...options,
    };
    const width = Math.max(4, String(this.o.nodes - 1).length);
    for (let i = 0; i < this.o.nodes; i++) {
      const id = `${this.o.nodeIdPrefix}-${String(i).padStart(width, '0')}`;
      const labels = { ...(typeof this.o.labels === 'function' ? this.o.labels(i, id) : (this.o.labels ?? {})) };
      if (this.o.zones?.length) labels['zone'] = this.o.zones[i % this.o.zones.length]!;
      const node = new SimulatedNode(i, id, labels, { cpuMillis: this.o.cpuMillis, memoryBytes: this.o.memoryBytes, pids: this.o.pids }, this.o.arch, this);
      for (const image of this.o.preloadedImages ?? []) node.addImage(image);
      this.nodes.push(node);
      this.byId.set(id, node);
    }
  }

  async start(): Promise<void> {
    for (let i = 0; i < Math.max(1, this.o.connections); i++) {
      this.connections.push(await connect({ servers: this.o.natsUrl, name: `cluster-sim-${i}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 }));
    }
    const nc = this.connections[0]!;
    if (this.o.subscriptions === 'wildcard') {
      this.subscriptions.push(nc.subscribe('silo.agent.*.>', { callback: (err, msg) => !err && this.onRequest(msg) }));
    } else {
      for (const node of this.nodes) this.subscribeNode(node);
    }
    await nc.flush();
    const now = Date.now();
    const interval = this.o.heartbeatIntervalMs;
    // The first beat one interval after start, as the agent's setInterval; phases spread evenly.
    for (const node of this.nodes) node.nextBeatAt = now + interval * (1 + node.index / this.nodes.length);
    const tick = Math.max(5, Math.min(100, Math.floor(interval / 10)));
    this.ticker = setInterval(() => this.beat(), tick);
    if (!this.o.noRegister) for (const node of this.nodes) this.scheduleRegister(node, Math.random() * 50, this.o.registerRetryMinMs);
  }

  node(id: string): SimulatedNode | undefined {
    return this.byId.get(id);
  }

  /**
   * The host is lost: no heartbeats, no answers; its tasks stay as they are. Takes effect at once;
   * the promise resolves once the server has also seen a per-node subscription go.
   */
  kill(id: string): Promise<void> {
    const node = this.mustGet(id);
    if (!node.alive) return Promise.resolve();
    node.freeze();
    node.subscription?.unsubscribe();
    node.subscription = undefined;
    this.o.log?.(`killed ${id}`);
    return this.flush();
  }

  /** The host is back with its tasks as they were: it re-registers and heartbeats at once. */
  revive(id: string): Promise<void> {
    const node = this.mustGet(id);
    if (node.alive) return Promise.resolve();
    node.thaw();
    if (this.o.subscriptions === 'per-node') this.subscribeNode(node);
    node.nextBeatAt = Date.now();
    this.scheduleRegister(node, 0, this.o.registerRetryMinMs);
    this.o.log?.(`revived ${id}`);
    return this.flush();
  }

  private flush(): Promise<void> {
    const nc = this.connections[0];
    return nc && !this.stopped ? nc.flush().catch(() => undefined) : Promise.resolve();
  }

  /** Every task-state change of every node, in this process (besides the NATS event). */
  onTaskState(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  counts(): SimulatedClusterCounts {
    let alive = 0;
    let registered = 0;
    let registrations = 0;
    for (const n of this.nodes) {
      if (n.alive) alive++;
      if (n.registered) registered++;
      registrations += n.registrations;
    }
    const tasks = { ...this.stateCounts };
    return {
      nodes: this.nodes.length,
      alive,
      killed: this.nodes.length - alive,
      registered,
      tasks,
      totalTasks: Object.values(tasks).reduce((a, b) => a + b, 0),
      ...this.stats,
      heartbeats: this.stats.heartbeats,
      registrations,
      ...(this.lastRegistrationError ? { lastRegistrationError: this.lastRegistrationError } : {}),
    };
  }

  /** Resolves when every live node has been answered by the scheduler once. */
  async waitForRegistration(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.nodes.some((n) => n.alive && !n.registered)) {
      if (Date.now() > deadline) throw new Error(`${this.nodes.filter((n) => n.alive && !n.registered).length} node(s) not registered after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    for (const node of this.nodes) {
      node.alive = false;
      node.clearTimers();
    }
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.all(this.connections.map((c) => c.drain().catch(() => undefined)));
  }

  // ---- internals used by the nodes

  /** A delay of the given kind with jitter. */
  delay(kind: 'pull' | 'start' | 'stop'): number {
    const base = kind === 'pull' ? this.o.pullDelayMs : kind === 'start' ? this.o.startDelayMs : this.o.stopDelayMs;
    if (base <= 0) return 0;
    const j = Math.min(1, Math.max(0, this.o.jitter));
    return Math.max(0, Math.round(base * (1 - j + 2 * j * Math.random())));
  }

  countState(from: TaskState | undefined, to: TaskState | undefined): void {
    if (from) this.stateCounts[from]--;
    if (to) this.stateCounts[to]++;
  }

  publishState(node: SimulatedNode, status: TaskStatus): void {
    this.stats.stateEvents++;
    this.publish(node, Subjects.taskStateEvent, status);
    for (const listener of this.listeners) listener(status);
  }

  private publish(node: SimulatedNode, subject: string, data: unknown): void {
    if (this.stopped) return;
    const nc = this.connections[node.index % this.connections.length];
    try {
      nc?.publish(subject, encodeEvent(subject, data));
    } catch {
      // not connected: the next heartbeat and tasks.list carry the state anyway (as the agent)
    }
  }

  private mustGet(id: string): SimulatedNode {
    const node = this.byId.get(id);
    if (!node) throw new Error(`no simulated node ${id}`);
    return node;
  }

  private subscribeNode(node: SimulatedNode): void {
    node.subscription = this.connections[0]!.subscribe(`silo.agent.${node.id}.>`, { callback: (err, msg) => !err && this.onRequest(msg) });
  }

  private beat(): void {
    const now = Date.now();
    const interval = this.o.heartbeatIntervalMs;
    for (const node of this.nodes) {
      if (!node.alive || node.nextBeatAt > now) continue;
      node.nextBeatAt = node.nextBeatAt + interval > now ? node.nextBeatAt + interval : now + interval;
      this.stats.heartbeats++;
      this.publish(node, Subjects.heartbeatEvent, node.heartbeat());
    }
  }

  private scheduleRegister(node: SimulatedNode, delayMs: number, retryMs: number): void {
    if (this.stopped || !node.alive) return;
    clearTimeout(node.registerTimer);
    const epoch = node.epoch;
    node.registerTimer = setTimeout(() => void this.register(node, epoch, retryMs), delayMs);
  }

  private async register(node: SimulatedNode, epoch: number, retryMs: number): Promise<void> {
    if (this.stopped || !node.alive || epoch !== node.epoch) return;
    const nc = this.connections[node.index % this.connections.length]!;
    try {
      const reply = await nc.request(Subjects.nodeRegister, encodeRequest(Subjects.nodeRegister, node.registerRequest()), { timeout: this.o.registerTimeoutMs });
      const body = decodeReply<NodeRegisterReply>(Subjects.nodeRegister, reply.data);
      if (!body || body.nodeId !== node.id) throw new Error(`unexpected registration reply ${JSON.stringify(body)}`);
      if (this.stopped || epoch !== node.epoch) return;
      node.registered = true;
      node.registrations++;
      this.scheduleRegister(node, this.o.registerRefreshMs, this.o.registerRetryMinMs);
    } catch (err) {
      if (this.stopped || epoch !== node.epoch) return;
      this.stats.registrationFailures++;
      this.lastRegistrationError = err instanceof Error ? err.message : String(err);
      if (this.stats.registrationFailures <= 3 || this.stats.registrationFailures % 1000 === 0) {
        this.o.log?.(`registration of ${node.id} failed (${err instanceof Error ? err.message : String(err)}); retrying in ~${retryMs} ms`);
      }
      // ±25% so that a thousand nodes do not retry in lockstep
      const wait = retryMs * (0.75 + Math.random() * 0.5);
      this.scheduleRegister(node, wait, Math.min(retryMs * 2, this.o.registerRetryMaxMs));
    }
  }

  private onRequest(msg: Msg): void {
    // silo.agent.<nodeId>.<rest…>
    const subject = msg.subject;
    const first = subject.indexOf('.', 11);
    if (first < 0) return;
    const node = this.byId.get(subject.slice(11, first));
    if (!node || !node.alive || this.stopped) return;
    const action = subject.slice(first + 1);
    let id: string | undefined;
    try {
      const incoming = decodeIncoming(msg.data);
      id = incoming.id;
      let response: unknown;
      switch (action) {
        case 'tasks.set': {
          this.stats.setsReceived++;
          const request = this.o.validate ? validateContract(AgentTaskSetRequest, incoming.data) : (incoming.data as AgentTaskSetRequest);
          const reply = node.apply(request);
          if (reply.applied) this.stats.setsApplied++;
          response = reply;
          break;
        }
        case 'tasks.list':
          response = { generation: Math.max(0, node.generation), tasks: node.statuses() };
          break;
        case 'stats':
          response = { tasks: [] };
          break;
        case 'health':
          response = {
            service: 'node-agent',
            instance: node.id,
            version: 'cluster-sim',
            startedAt: this.startedAt,
            uptimeSeconds: Math.floor((Date.now() - Date.parse(this.startedAt)) / 1000),
            status: 'pass',
            checks: [],
          };
          break;
        default:
          if (msg.reply) msg.respond(encodeErrorReply(id, { code: 'UNAVAILABLE', message: `the cluster simulator does not serve ${action}` }));
          return;
      }
      if (msg.reply) msg.respond(encodeReply(id, response));
    } catch (err) {
      if (action === 'tasks.set') this.stats.setsRejected++;
      const body =
        err instanceof ContractViolation
          ? { code: 'VALIDATION_FAILED', message: err.message, details: err.problems }
          : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
      if (msg.reply) msg.respond(encodeErrorReply(id, body));
    }
  }
}

export interface SimulatedClusterHandle {
  nodes: SimulatedNode[];
  cluster: SimulatedCluster;
  node(id: string): SimulatedNode | undefined;
  kill(id: string): Promise<void>;
  revive(id: string): Promise<void>;
  stop(): Promise<void>;
  counts(): SimulatedClusterCounts;
  onTaskState(listener: StateListener): () => void;
  waitForRegistration(timeoutMs?: number): Promise<void>;
}

/** Connects, subscribes and starts heartbeating and registering N simulated nodes. */
export async function startSimulatedCluster(options: SimulatedClusterOptions): Promise<SimulatedClusterHandle> {
  const cluster = new SimulatedCluster(options);
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return {
    nodes: cluster.nodes,
    cluster,
    node: (id) => cluster.node(id),
    kill: (id) => cluster.kill(id),
    revive: (id) => cluster.revive(id),
    stop: () => cluster.stop(),
    counts: () => cluster.counts(),
    onTaskState: (listener) => cluster.onTaskState(listener),
    waitForRegistration: (timeoutMs) => cluster.waitForRegistration(timeoutMs),
  };
}
