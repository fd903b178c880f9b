/**
 * The engine's working copy of a cluster snapshot, in flat typed arrays indexed by node number so
 * that filtering and scoring 5,000 nodes allocates nothing. Placing a task updates it (resources,
 * ports, per-service counts), so later placements of the same batch see earlier ones.
 */
import { Constraint, normalizeArch } from './constraints';
import { ClusterSnapshot, HostPort, NodeAvailability, NodeReadiness } from './types';

export const AVAIL_ACTIVE = 0;
export const AVAIL_PAUSE = 1;
export const AVAIL_DRAIN = 2;

/** A task that holds resources on a node (from the snapshot or placed by the engine). */
export interface TaskRef {
  taskId: string;
  serviceId: string;
  priority: number;
  cpu: number;
  mem: number;
  pids: number;
  /** Port keys (see portKey). */
  ports: number[];
}

export function portKey(p: HostPort): number {
  return p.port * 2 + (p.protocol === 'udp' ? 1 : 0);
}

export function portText(key: number): string {
  return `${key >> 1}/${key & 1 ? 'udp' : 'tcp'}`;
}

const AVAIL: Record<NodeAvailability, number> = { active: AVAIL_ACTIVE, pause: AVAIL_PAUSE, drain: AVAIL_DRAIN };

export class ClusterState {
  readonly n: number;
  readonly ids: string[];
  readonly hostnames: string[];
  readonly os: string[];
  readonly arch: string[];
  readonly labels: Array<Record<string, string>>;
  readonly avail: Uint8Array;
  readonly down: Uint8Array;
  readonly cpuAlloc: Float64Array;
  readonly memAlloc: Float64Array;
  readonly pidsAlloc: Float64Array;
  readonly cpuUsed: Float64Array;
  readonly memUsed: Float64Array;
  readonly pidsUsed: Float64Array;
  readonly taskCount: Int32Array;
  /** Host ports in use per node (port keys); undefined when none. */
  readonly ports: Array<Set<number> | undefined>;
  /** Ports held by something other than a known task: never freed by preemption. */
  readonly externalPorts: Array<Set<number> | undefined>;
  readonly layers: Array<Set<string> | undefined>;
  readonly tasks: TaskRef[][];
  /** serviceId → node number → tasks of the service on the node. */
  readonly serviceCounts = new Map<string, Map<number, number>>();
  /** taskId → node number, for every task that holds resources. */
  readonly taskNode = new Map<string, number>();
  private readonly indexes = new Map<string, Map<string, number[]>>();
  private layerIndex: Map<string, number[]> | undefined;

  constructor(snapshot: ClusterSnapshot) {
    const nodes = snapshot.nodes;
    const n = (this.n = nodes.length);
    this.ids = new Array<string>(n);
    this.hostnames = new Array<string>(n);
    this.os = new Array<string>(n);
    this.arch = new Array<string>(n);
    this.labels = new Array<Record<string, string>>(n);
    this.avail = new Uint8Array(n);
    this.down = new Uint8Array(n);
    this.cpuAlloc = new Float64Array(n);
    this.memAlloc = new Float64Array(n);
    this.pidsAlloc = new Float64Array(n);
    this.cpuUsed = new Float64Array(n);
    this.memUsed = new Float64Array(n);
    this.pidsUsed = new Float64Array(n);
    this.taskCount = new Int32Array(n);
    this.ports = new Array<Set<number> | undefined>(n);
    this.externalPorts = new Array<Set<number> | undefined>(n);
    this.layers = new Array<Set<string> | undefined>(n);
    this.tasks = new Array<TaskRef[]>(n);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      if (seen.has(node.id)) throw new Error(`cluster snapshot lists node ${node.id} twice`);
      seen.add(node.id);
      this.ids[i] = node.id;
      this.hostnames[i] = node.hostname;
      this.os[i] = node.platform.os.toLowerCase();
      this.arch[i] = normalizeArch(node.platform.arch);
      this.labels[i] = node.labels ?? {};
      this.avail[i] = AVAIL[node.availability] ?? AVAIL_PAUSE;
      this.down[i] = (node.state as NodeReadiness) === 'ready' ? 0 : 1;
      this.cpuAlloc[i] = node.allocatable.cpuMillis;
      this.memAlloc[i] = node.allocatable.memoryBytes;
      this.pidsAlloc[i] = node.allocatable.pids && node.allocatable.pids > 0 ? node.allocatable.pids : Infinity;
      this.layers[i] = node.layers && node.layers.length ? new Set(node.layers) : undefined;
      this.tasks[i] = [];
      const external = [...(node.usedPorts?.tcp ?? []).map((port) => port * 2), ...(node.usedPorts?.udp ?? []).map((port) => port * 2 + 1)];
      if (external.length) {
        this.externalPorts[i] = new Set(external);
        this.ports[i] = new Set(external);
      }
      for (const t of node.tasks) {
        this.add(i, {
          taskId: t.taskId,
          serviceId: t.serviceId,
          priority: t.priority ?? 0,
          cpu: t.resources.cpuMillis,
          mem: t.resources.memoryBytes,
          pids: t.resources.pids ?? 0,
          ports: (t.hostPorts ?? []).map(portKey),
        });
      }
    }
  }

  /** Puts a task on node i: consumes its resources and ports, counts it for spread. */
  add(i: number, t: TaskRef): void {
    this.cpuUsed[i] += t.cpu;
    this.memUsed[i] += t.mem;
    this.pidsUsed[i] += t.pids;
    this.taskCount[i]++;
    if (t.ports.length) {
      let set = this.ports[i];
      if (!set) set = this.ports[i] = new Set();
      for (const p of t.ports) set.add(p);
    }
    let counts = this.serviceCounts.get(t.serviceId);
    if (!counts) this.serviceCounts.set(t.serviceId, (counts = new Map()));
    counts.set(i, (counts.get(i) ?? 0) + 1);
    this.tasks[i]!.push(t);
    this.taskNode.set(t.taskId, i);
  }

  /** Takes a task off node i (preemption). */
  remove(i: number, t: TaskRef): void {
    const list = this.tasks[i]!;
    const at = list.indexOf(t);
    if (at < 0) return;
    list.splice(at, 1);
    this.taskNode.delete(t.taskId);
    this.cpuUsed[i] -= t.cpu;
    this.memUsed[i] -= t.mem;
    this.pidsUsed[i] -= t.pids;
    this.taskCount[i]--;
    const set = this.ports[i];
    // A shared port stays held while another task on the node (of the same service) publishes it.
    if (set) for (const p of t.ports) if (!this.externalPorts[i]?.has(p) && !this.tasks[i]!.some((o) => o.taskId !== t.taskId && o.ports.includes(p))) set.delete(p);
    const counts = this.serviceCounts.get(t.serviceId);
    if (counts) {
      const c = (counts.get(i) ?? 0) - 1;
      if (c > 0) counts.set(i, c);
      else counts.delete(i);
    }
  }

  /** The value a constraint compares on node i (undefined: label absent). */
  attribute(i: number, c: Constraint): string | undefined {
    switch (c.attribute) {
      case 'id':
        return this.ids[i];
      case 'hostname':
        return this.hostnames[i];
      case 'os':
        return this.os[i];
      case 'arch':
        return this.arch[i];
      default:
        return this.labels[i]![c.key];
    }
  }

  matches(i: number, c: Constraint): boolean {
    const v = this.attribute(i, c);
    return c.op === '==' ? v === c.value : v !== c.value;
  }

  /** Node numbers that hold the layer (an inverted index, built on first use). */
  nodesWithLayer(digest: string): number[] {
    if (!this.layerIndex) {
      const index = new Map<string, number[]>();
      for (let i = 0; i < this.n; i++) {
        for (const d of this.layers[i] ?? []) {
          let list = index.get(d);
          if (!list) index.set(d, (list = []));
          list.push(i);
        }
      }
      this.layerIndex = index;
    }
    return this.layerIndex.get(digest) ?? [];
  }

  /** Node numbers (ascending) whose attribute equals value: the index behind equality constraints. */
  nodesWith(c: Constraint): number[] {
    const name = c.attribute === 'label' ? `label:${c.key}` : c.attribute;
    let index = this.indexes.get(name);
    if (!index) {
      index = new Map();
      for (let i = 0; i < this.n; i++) {
        const v = this.attribute(i, c);
        if (v === undefined) continue;
        let list = index.get(v);
        if (!list) index.set(v, (list = []));
        list.push(i);
      }
      this.indexes.set(name, index);
    }
    return index.get(c.value) ?? [];
  }
}
