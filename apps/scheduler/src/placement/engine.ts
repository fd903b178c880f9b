/**
 * The placement engine. See index.ts for the public contract; this file is the how:
 *
 * 1. Tasks are grouped: the replicas of one service with one spec form a group, placed together
 *    (higher priority groups first, then in input order).
 * 2. Per group, the static filters (state, availability, platform, constraints) run once, starting
 *    from the label index of the most selective equality constraint; the result is cached per
 *    constraint set for the engine's life.
 * 3. The candidates that also pass the dynamic filters (resources, host ports, max per node) go
 *    into min-heaps keyed by score, one heap per value of the preference labels (a tree, as Swarm
 *    balances preference groups first). Each task takes the best node of the least-loaded group;
 *    only that node's score changes, so it is re-keyed and pushed back if it still fits.
 *    Cost per group: O(candidates + tasks · log candidates), with no allocation per node.
 * 4. A spread group small compared to the cluster may be scored on a sample
 *    (percentageOfNodesToScore): the preference group is still chosen exactly, and inside it only
 *    nodes without a task of the service qualify while there are such nodes, so spread stays even.
 *    A group of one task skips the heap (one pass keeps the best node of each preference group).
 * 5. When nothing fits, a higher-priority task may preempt; otherwise every node is explained.
 */
import { formatCpu, formatMemory } from '@silo/domain';
import { AVAIL_ACTIVE, AVAIL_DRAIN, ClusterState, portKey, portText, TaskRef } from './cluster-state';
import { Constraint, formatPlatform, normalizeArch, parseConstraint, parsePreference, Preference, validateTaskSpec } from './constraints';
import {
  ClusterSnapshot,
  Eviction,
  ImageLayer,
  PendingReason,
  PendingReasonCode,
  PendingTask,
  PlaceOptions,
  PlaceResult,
  Placement,
  PlacementStats,
  TaskToPlace,
} from './types';

interface Group {
  serviceId: string;
  tasks: Array<{ task: TaskToPlace; index: number }>;
  cpu: number;
  mem: number;
  pids: number;
  ports: number[];
  /** Tasks of the same service may publish the same host ports on one node (shared, spread). */
  sharedPorts: boolean;
  constraints: Constraint[];
  prefs: Preference[];
  maxPerNode: number;
  priority: number;
  binpack: boolean;
  platforms: Array<{ os?: string; arch?: string }> | undefined;
  layers: ImageLayer[];
  /** Total image bytes (or layer count when sizes are unknown); 0 = no image locality. */
  imageWeight: number;
  layerWeights: number[];
  staticKey: string;
  invalid?: string[];
  order: number;
}

/**
 * The candidates of a constraint set partitioned by preference-label values, as a tree: branch 0
 * is the root; each leaf holds its nodes. Cached with the candidates (static for the engine's life).
 */
interface Layout {
  cands: Int32Array;
  /** Nodes of each leaf. */
  leaves: Int32Array[];
  /** Leaf number of each node number, −1 when not a candidate (only with preferences). */
  leafOfNode: Int32Array | undefined;
  /** Per branch: parent branch (−1 for the root), children in value order, leaf number (−1 inner). */
  parent: Int32Array;
  children: Int32Array[];
  branchLeaf: Int32Array;
  /** Per leaf: its branch. */
  leafBranch: Int32Array;
}

/** A binary min-heap of node numbers in a typed array. */
interface Heap {
  a: Int32Array;
  n: number;
}

// Static filter results: 0 passes; ≥ FAIL_CONSTRAINT: constraint number (code − FAIL_CONSTRAINT) failed.
const FAIL_DOWN = 1;
const FAIL_PAUSED = 2;
const FAIL_DRAINING = 3;
const FAIL_PLATFORM = 4;
const FAIL_CONSTRAINT = 10;

const SCORE_SCALE = 1000;
const STATIC_CACHE_LIMIT = 512;

export class PlacementEngine {
  private readonly s: ClusterState;
  private readonly staticCache = new Map<string, Int32Array>();
  private readonly layoutCache = new Map<string, Layout>();
  private readonly keys: Float64Array;
  private readonly locality: Float64Array;
  private readonly rank: Uint32Array;
  private rankSeed = Number.NaN;
  private cursor = 0;
  /** Nodes whose locality[] is not 0. */
  private readonly touched: number[] = [];
  private wRes = 1;
  private wImg = 1;

  constructor(snapshot: ClusterSnapshot) {
    this.s = new ClusterState(snapshot);
    const n = this.s.n;
    this.keys = new Float64Array(n);
    this.locality = new Float64Array(n);
    this.rank = new Uint32Array(n);
  }

  /** Places a batch; the engine keeps the result, so a later call sees these placements. */
  place(tasks: TaskToPlace[], options: PlaceOptions = {}): PlaceResult {
    const seed = (options.seed ?? 0) >>> 0;
    if (seed !== this.rankSeed) this.seedRanks(seed);
    this.wRes = Math.max(0, options.weights?.resources ?? 1);
    this.wImg = Math.max(0, options.weights?.imageLocality ?? 1);
    if (this.wRes + this.wImg === 0) this.wRes = 1;
    const preemption = options.preemption ?? true;
    const pct = Math.min(100, Math.max(0, options.percentageOfNodesToScore ?? 100));
    const minNodes = Math.max(1, options.minNodesToScore ?? 100);

    const placements: Array<Placement | undefined> = new Array(tasks.length);
    const pending: Array<{ index: number; p: PendingTask }> = [];
    const stats: PlacementStats = { tasks: tasks.length, placed: 0, pending: 0, preempted: 0, groups: 0, sampledGroups: 0, nodesScored: 0 };
    const unique = this.rejectDuplicates(tasks, pending);
    const groups = this.group(unique);
    stats.groups = groups.length;
    for (const g of groups) this.placeGroup(g, { placements, pending, stats, preemption, pct, minNodes });
    pending.sort((a, b) => a.index - b.index);
    const placed = placements.filter((p): p is Placement => p !== undefined);
    stats.placed = placed.length;
    stats.pending = pending.length;
    return { placements: placed, pending: pending.map((x) => x.p), stats };
  }

  // -------------------------------------------------------------------------------------------
  // Grouping

  /** A task id already placed (in the snapshot, an earlier batch, or earlier in this one) is not placed again. */
  private rejectDuplicates(tasks: TaskToPlace[], pending: Array<{ index: number; p: PendingTask }>): Array<{ task: TaskToPlace; index: number }> {
    const seen = new Set<string>();
    const out: Array<{ task: TaskToPlace; index: number }> = [];
    for (let index = 0; index < tasks.length; index++) {
      const task = tasks[index]!;
      const on = this.s.taskNode.get(task.taskId);
      if (on === undefined && !seen.has(task.taskId)) {
        seen.add(task.taskId);
        out.push({ task, index });
        continue;
      }
      const message = on === undefined ? `task ${task.taskId} appears twice in the batch` : `task ${task.taskId} is already placed on node ${this.s.hostnames[on]}`;
      pending.push({ index, p: { taskId: task.taskId, serviceId: task.serviceId, nodesTotal: this.s.n, message, reasons: [{ code: 'duplicate-task', nodes: 0, message }] } });
    }
    return out;
  }

  private group(tasks: Array<{ task: TaskToPlace; index: number }>): Group[] {
    const byKey = new Map<string, Group>();
    const groups: Group[] = [];
    let prev: TaskToPlace | undefined;
    let prevGroup: Group | undefined;
    for (const { task: t, index } of tasks) {
      let g: Group | undefined;
      if (prev && prevGroup && sameSpecByReference(prev, t)) g = prevGroup;
      else {
        const key = groupKey(t);
        g = byKey.get(key);
        if (!g) {
          g = this.compileGroup(t, groups.length);
          byKey.set(key, g);
          groups.push(g);
        }
      }
      g.tasks.push({ task: t, index });
      prev = t;
      prevGroup = g;
    }
    return groups.sort((a, b) => b.priority - a.priority || a.order - b.order);
  }

  private compileGroup(t: TaskToPlace, order: number): Group {
    const problems = validateTaskSpec(t);
    const layers = problems.length ? [] : (t.image?.layers ?? []);
    const bytes = layers.reduce((sum, l) => sum + Math.max(0, l.sizeBytes || 0), 0);
    const layerWeights = layers.map((l) => (bytes > 0 ? Math.max(0, l.sizeBytes || 0) : 1));
    const constraints = problems.length ? [] : (t.constraints ?? []).map(parseConstraint);
    const platforms = t.platforms?.length
      ? t.platforms.map((p) => ({ os: p.os ? p.os.toLowerCase() : undefined, arch: p.arch ? normalizeArch(p.arch) : undefined }))
      : undefined;
    return {
      serviceId: t.serviceId,
      tasks: [],
      cpu: t.resources?.cpuMillis ?? 0,
      mem: t.resources?.memoryBytes ?? 0,
      pids: t.resources?.pids ?? 0,
      ports: problems.length ? [] : (t.hostPorts ?? []).map(portKey),
      sharedPorts: t.sharedPorts === true,
      constraints,
      prefs: problems.length ? [] : (t.preferences ?? []).map(parsePreference),
      maxPerNode: t.maxReplicasPerNode ?? 0,
      priority: t.priority ?? 0,
      binpack: t.strategy === 'binpack',
      platforms,
      layers,
      imageWeight: layerWeights.reduce((a, b) => a + b, 0),
      layerWeights,
      staticKey: `${constraints.map((c) => c.text).sort().join('\u0001')}|${(platforms ?? []).map((p) => `${p.os ?? ''}/${p.arch ?? ''}`).join(',')}`,
      invalid: problems.length ? problems : undefined,
      order,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Filters

  /** 0 when node i passes the static filters for g, else the first failure (FAIL_*). */
  private staticFail(i: number, g: Group): number {
    const s = this.s;
    if (s.down[i]) return FAIL_DOWN;
    if (s.avail[i] !== AVAIL_ACTIVE) return s.avail[i] === AVAIL_DRAIN ? FAIL_DRAINING : FAIL_PAUSED;
    if (g.platforms) {
      let ok = false;
      for (const p of g.platforms) if ((!p.os || p.os === s.os[i]) && (!p.arch || p.arch === s.arch[i])) ok = true;
      if (!ok) return FAIL_PLATFORM;
    }
    const cs = g.constraints;
    for (let k = 0; k < cs.length; k++) if (!s.matches(i, cs[k]!)) return FAIL_CONSTRAINT + k;
    return 0;
  }

  private staticCandidates(g: Group): Int32Array {
    const cached = this.staticCache.get(g.staticKey);
    if (cached) return cached;
    let base: number[] | undefined;
    for (const c of g.constraints) {
      if (c.op !== '==') continue;
      const list = this.s.nodesWith(c);
      if (!base || list.length < base.length) base = list;
    }
    const out: number[] = [];
    if (base) {
      for (const i of base) if (this.staticFail(i, g) === 0) out.push(i);
    } else {
      for (let i = 0; i < this.s.n; i++) if (this.staticFail(i, g) === 0) out.push(i);
    }
    const result = Int32Array.from(out);
    // Bounded: many one-off constraint sets (node.hostname!=…) must not grow memory without end.
    if (this.staticCache.size >= STATIC_CACHE_LIMIT) this.staticCache.clear();
    this.staticCache.set(g.staticKey, result);
    return result;
  }

  /** Resources, ports and max-per-node on node i, in its current state. */
  private fits(i: number, g: Group, counts: Map<number, number> | undefined): boolean {
    const s = this.s;
    if (s.cpuUsed[i]! + g.cpu > s.cpuAlloc[i]! || s.memUsed[i]! + g.mem > s.memAlloc[i]! || s.pidsUsed[i]! + g.pids > s.pidsAlloc[i]!) return false;
    if (g.maxPerNode > 0 && counts !== undefined && (counts.get(i) ?? 0) >= g.maxPerNode) return false;
    if (g.ports.length) {
      const set = s.ports[i];
      if (set) for (const p of g.ports) if (set.has(p) && this.portTaken(i, p, g)) return false;
    }
    return true;
  }

  /** Port P on node i is held by something else than G's own service (when G shares its ports). */
  private portTaken(i: number, p: number, g: Group): boolean {
    if (!g.sharedPorts) return true;
    const s = this.s;
    if (s.externalPorts[i]?.has(p)) return true;
    return s.tasks[i]!.some((t) => t.ports.includes(p) && t.serviceId !== g.serviceId);
  }

  // -------------------------------------------------------------------------------------------
  // Scores (lower key = better node)

  /** Image locality of one node (0…100): share of the image's bytes present. */
  private computeLocality(i: number, g: Group): void {
    const set = this.s.layers[i];
    let present = 0;
    if (set) for (let k = 0; k < g.layers.length; k++) if (set.has(g.layers[k]!.digest)) present += g.layerWeights[k]!;
    this.locality[i] = (present / g.imageWeight) * 100;
    this.touched.push(i);
  }

  /** Image locality of every node at once, through the layer → nodes index (nodes without a layer stay 0). */
  private computeGroupLocality(g: Group): void {
    this.clearLocality();
    const loc = this.locality;
    for (let k = 0; k < g.layers.length; k++) {
      const w = g.layerWeights[k]!;
      for (const i of this.s.nodesWithLayer(g.layers[k]!.digest)) {
        if (loc[i] === 0) this.touched.push(i);
        loc[i] += w;
      }
    }
    const scale = 100 / g.imageWeight;
    for (const i of this.touched) loc[i] *= scale;
  }

  private clearLocality(): void {
    for (const i of this.touched) this.locality[i] = 0;
    this.touched.length = 0;
  }

  /**
   * Primary: tasks of the service on the node (spread; not for binpack). Secondary, 0…100 and
   * weighted: least-allocated (spread) or most-allocated (binpack) CPU and memory after placing,
   * and image locality (share of the image's bytes already on the node). Ties: seeded rank.
   */
  private key(i: number, g: Group, counts: Map<number, number> | undefined): number {
    const s = this.s;
    const cpuA = s.cpuAlloc[i]!;
    const memA = s.memAlloc[i]!;
    const cf = cpuA > 0 ? (s.cpuUsed[i]! + g.cpu) / cpuA : 1;
    const mf = memA > 0 ? (s.memUsed[i]! + g.mem) / memA : 1;
    const used = (cf + mf) * 50;
    const res = g.binpack ? used : 100 - used;
    const loc = g.imageWeight > 0 ? this.locality[i]! : 0;
    const secondary = (this.wRes * res + this.wImg * loc) / (this.wRes + this.wImg);
    const primary = g.binpack || counts === undefined ? 0 : (counts.get(i) ?? 0);
    return primary * SCORE_SCALE + (100 - secondary);
  }

  // -------------------------------------------------------------------------------------------
  // Placing a group

  private placeGroup(
    g: Group,
    ctx: {
      placements: Array<Placement | undefined>;
      pending: Array<{ index: number; p: PendingTask }>;
      stats: PlacementStats;
      preemption: boolean;
      pct: number;
      minNodes: number;
    },
  ): void {
    if (g.invalid) {
      const message = `invalid placement spec: ${g.invalid.join('; ')}`;
      for (const { task, index } of g.tasks) {
        ctx.pending.push({
          index,
          p: { taskId: task.taskId, serviceId: task.serviceId, nodesTotal: this.s.n, message, reasons: [{ code: 'invalid-spec', nodes: 0, message }] },
        });
      }
      return;
    }
    const s = this.s;
    let counts = s.serviceCounts.get(g.serviceId);
    if (!counts) s.serviceCounts.set(g.serviceId, (counts = new Map()));
    const cands = this.staticCandidates(g);
    const C = cands.length;
    const R = g.tasks.length;
    let next = 0;

    const assign = (i: number, k: number): void => {
      const { task, index } = g.tasks[k]!;
      s.add(i, { taskId: task.taskId, serviceId: g.serviceId, priority: g.priority, cpu: g.cpu, mem: g.mem, pids: g.pids, ports: g.ports });
      ctx.placements[index] = { taskId: task.taskId, serviceId: g.serviceId, nodeId: s.ids[i]!, hostname: s.hostnames[i]! };
    };

    // Sampled path (kube-scheduler's percentageOfNodesToScore): few tasks, many candidates, spread
    // strategy. The preference group is chosen exactly (by counts); inside it, a sample of nodes
    // from a rotating start is scored, and only nodes without a task of the service qualify while
    // such nodes exist, so spread over nodes stays as even as a full scan makes it.
    const K = Math.max(ctx.minNodes, Math.ceil((C * ctx.pct) / 100));
    if (ctx.pct < 100 && !g.binpack && K < C && R * K <= C) {
      ctx.stats.sampledGroups++;
      this.clearLocality();
      const L = this.layout(g, cands);
      const count = new Float64Array(L.parent.length);
      const exhausted = new Uint8Array(L.parent.length);
      if (L.leaves.length === 0) exhausted[0] = 1;
      if (L.leafOfNode) {
        for (const [i, c] of counts) {
          const leaf = L.leafOfNode[i]!;
          if (leaf >= 0) for (let b = L.leafBranch[leaf]!; b >= 0; b = L.parent[b]!) count[b] += c;
        }
      }
      while (next < R) {
        const leaf = chooseLeaf(L, count, exhausted);
        if (leaf < 0) break;
        const nodes = L.leaves[leaf]!;
        const branch = L.leafBranch[leaf]!;
        // Tasks of the service in this group bound the nodes that have one.
        const fresh = (L.leafOfNode ? count[branch]! : counts.size) < nodes.length;
        const k = Math.max(ctx.minNodes, Math.ceil((nodes.length * ctx.pct) / 100));
        let best = fresh ? this.samplePick(nodes, g, counts, k, ctx.stats) : -1;
        if (best < 0) {
          best = this.scanPick(nodes, g, counts);
          ctx.stats.nodesScored += nodes.length;
        }
        if (best < 0) {
          markExhausted(L, exhausted, branch);
          continue;
        }
        assign(best, next++);
        for (let b = branch; b >= 0; b = L.parent[b]!) count[b]++;
      }
    }

    // Exact path: per preference group, the fitting candidates by score.
    if (next < R) {
      if (g.imageWeight > 0) this.computeGroupLocality(g);
      const L = this.layout(g, cands);
      const nb = L.parent.length;
      const count = new Float64Array(nb);
      const exhausted = new Uint8Array(nb);
      if (L.leafOfNode) {
        // Tasks of the service already in each preference group (on candidate nodes) count first.
        for (const [i, c] of counts) {
          const leaf = L.leafOfNode[i]!;
          if (leaf >= 0) for (let b = L.leafBranch[leaf]!; b >= 0; b = L.parent[b]!) count[b] += c;
        }
      }
      if (L.leaves.length === 0) exhausted[0] = 1;
      ctx.stats.nodesScored += C;
      if (R - next === 1) {
        // One task: the best node of each group in one pass, no heap.
        const bestOf = new Int32Array(L.leaves.length).fill(-1);
        for (let l = 0; l < L.leaves.length; l++) {
          const nodes = L.leaves[l]!;
          let best = -1;
          let bestKey = Infinity;
          for (let j = 0; j < nodes.length; j++) {
            const i = nodes[j]!;
            if (!this.fits(i, g, counts)) continue;
            const key = this.key(i, g, counts);
            if (key < bestKey || (key === bestKey && (this.rank[i]! < this.rank[best]! || (this.rank[i] === this.rank[best] && i < best)))) {
              best = i;
              bestKey = key;
            }
          }
          bestOf[l] = best;
          if (best < 0) markExhausted(L, exhausted, L.leafBranch[l]!);
        }
        const leaf = chooseLeaf(L, count, exhausted);
        if (leaf >= 0) assign(bestOf[leaf]!, next++);
      } else {
        const heaps: Heap[] = new Array(L.leaves.length);
        const keys = this.keys;
        for (let l = 0; l < L.leaves.length; l++) {
          const nodes = L.leaves[l]!;
          const h: Heap = { a: new Int32Array(nodes.length), n: 0 };
          for (let j = 0; j < nodes.length; j++) {
            const i = nodes[j]!;
            if (!this.fits(i, g, counts)) continue;
            keys[i] = this.key(i, g, counts);
            h.a[h.n++] = i;
          }
          heapify(h, keys, this.rank);
          heaps[l] = h;
          if (h.n === 0) markExhausted(L, exhausted, L.leafBranch[l]!);
        }
        for (; next < R; next++) {
          const leaf = chooseLeaf(L, count, exhausted);
          if (leaf < 0) break;
          const heap = heaps[leaf]!;
          const i = heapPop(heap, keys, this.rank);
          assign(i, next);
          for (let b = L.leafBranch[leaf]!; b >= 0; b = L.parent[b]!) count[b]++;
          if (this.fits(i, g, counts)) {
            keys[i] = this.key(i, g, counts);
            heapPush(heap, i, keys, this.rank);
          } else if (heap.n === 0) {
            markExhausted(L, exhausted, L.leafBranch[leaf]!);
          }
        }
      }
    }

    // Nothing fits any more: preemption (state changes, so look for a plain fit again each time), then explain.
    for (; next < R; next++) {
      const fit = this.bestFit(g, cands, counts);
      if (fit >= 0) {
        assign(fit, next);
        continue;
      }
      const pre = ctx.preemption ? this.preempt(g, cands, counts) : undefined;
      if (pre) {
        const evictions: Eviction[] = pre.victims.map((v) => ({ taskId: v.taskId, serviceId: v.serviceId, priority: v.priority, nodeId: s.ids[pre.node]! }));
        for (const v of pre.victims) s.remove(pre.node, v);
        assign(pre.node, next);
        const placement = ctx.placements[g.tasks[next]!.index]!;
        placement.evictions = evictions;
        placement.reason = preemptionReason(pre.victims, s.hostnames[pre.node]!);
        ctx.stats.preempted += pre.victims.length;
        continue;
      }
      const why = this.explain(g, counts, ctx.preemption);
      for (; next < R; next++) {
        const { task, index } = g.tasks[next]!;
        ctx.pending.push({ index, p: { taskId: task.taskId, serviceId: g.serviceId, nodesTotal: s.n, reasons: why.reasons.map((r) => ({ ...r })), message: why.message } });
      }
    }
  }

  /** Best of up to k fitting nodes without a task of the service, walked from the rotating cursor; −1 if none. */
  private samplePick(nodes: Int32Array, g: Group, counts: Map<number, number>, k: number, stats: PlacementStats): number {
    const n = nodes.length;
    let best = -1;
    let bestKey = Infinity;
    let accepted = 0;
    let j = this.cursor % n;
    for (let walked = 0; walked < n && accepted < k; walked++, j = j + 1 === n ? 0 : j + 1) {
      const i = nodes[j]!;
      if (counts.has(i) || !this.fits(i, g, counts)) continue;
      accepted++;
      if (g.imageWeight > 0) this.computeLocality(i, g);
      const key = this.key(i, g, counts);
      if (key < bestKey || (key === bestKey && this.rank[i]! < this.rank[best]!)) {
        best = i;
        bestKey = key;
      }
    }
    this.cursor = (this.cursor + Math.max(1, accepted)) >>> 0;
    stats.nodesScored += accepted;
    return best;
  }

  /** Best fitting node of a list (full scan); −1 if none. */
  private scanPick(nodes: Int32Array, g: Group, counts: Map<number, number>): number {
    let best = -1;
    let bestKey = Infinity;
    for (let j = 0; j < nodes.length; j++) {
      const i = nodes[j]!;
      if (!this.fits(i, g, counts)) continue;
      if (g.imageWeight > 0) this.computeLocality(i, g);
      const key = this.key(i, g, counts);
      if (key < bestKey || (key === bestKey && (this.rank[i]! < this.rank[best]! || (this.rank[i] === this.rank[best] && i < best)))) {
        best = i;
        bestKey = key;
      }
    }
    return best;
  }

  private layout(g: Group, cands: Int32Array): Layout {
    const key = `${g.staticKey}#${g.prefs.map((p) => p.labelKey).join('\u0001')}`;
    const cached = this.layoutCache.get(key);
    if (cached) return cached;
    let layout: Layout;
    if (g.prefs.length === 0) {
      layout = {
        cands,
        leaves: cands.length ? [cands] : [],
        leafOfNode: undefined,
        parent: Int32Array.of(-1),
        children: [new Int32Array(0)],
        branchLeaf: Int32Array.of(cands.length ? 0 : -1),
        leafBranch: Int32Array.of(0),
      };
    } else {
      interface B {
        id: number;
        parent: number;
        kids: Map<string, B>;
        nodes: number[] | undefined;
      }
      const all: B[] = [{ id: 0, parent: -1, kids: new Map(), nodes: undefined }];
      for (let j = 0; j < cands.length; j++) {
        const i = cands[j]!;
        let b = all[0]!;
        for (const p of g.prefs) {
          const value = this.s.labels[i]![p.labelKey] ?? '';
          let c = b.kids.get(value);
          if (!c) {
            c = { id: all.length, parent: b.id, kids: new Map(), nodes: undefined };
            all.push(c);
            b.kids.set(value, c);
          }
          b = c;
        }
        (b.nodes ??= []).push(i);
      }
      const leaves: Int32Array[] = [];
      const branchLeaf = new Int32Array(all.length).fill(-1);
      const leafOfNode = new Int32Array(this.s.n).fill(-1);
      const leafBranchList: number[] = [];
      for (const b of all) {
        if (!b.nodes) continue;
        branchLeaf[b.id] = leaves.length;
        for (const i of b.nodes) leafOfNode[i] = leaves.length;
        leaves.push(Int32Array.from(b.nodes));
        leafBranchList.push(b.id);
      }
      layout = {
        cands,
        leaves,
        leafOfNode,
        parent: Int32Array.from(all.map((b) => b.parent)),
        children: all.map((b) => Int32Array.from([...b.kids.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1].id))),
        branchLeaf,
        leafBranch: Int32Array.from(leafBranchList),
      };
    }
    if (this.layoutCache.size >= STATIC_CACHE_LIMIT) this.layoutCache.clear();
    this.layoutCache.set(key, layout);
    return layout;
  }

  /** Linear scan for the best fitting node (after preemption changed the state). */
  private bestFit(g: Group, cands: Int32Array, counts: Map<number, number>): number {
    let best = -1;
    let bestKey = Infinity;
    for (let j = 0; j < cands.length; j++) {
      const i = cands[j]!;
      if (!this.fits(i, g, counts)) continue;
      const key = this.key(i, g, counts);
      if (key < bestKey || (key === bestKey && this.rank[i]! < this.rank[best]!)) {
        best = i;
        bestKey = key;
      }
    }
    return best;
  }

  // -------------------------------------------------------------------------------------------
  // Preemption

  /**
   * The node where evicting tasks of strictly lower priority makes g fit at the least cost:
   * lowest highest victim priority, then fewest victims, then lowest priority sum (as
   * kube-scheduler ranks). On each node: evict every lower-priority task, then reprieve as many as
   * still fit, highest priority and smallest first.
   */
  private preempt(g: Group, cands: Int32Array, counts: Map<number, number>): { node: number; victims: TaskRef[] } | undefined {
    const s = this.s;
    let best: { node: number; victims: TaskRef[]; maxP: number; sumP: number } | undefined;
    for (let j = 0; j < cands.length; j++) {
      const i = cands[j]!;
      if (g.maxPerNode > 0 && (counts.get(i) ?? 0) >= g.maxPerNode) continue;
      const lower = s.tasks[i]!.filter((t) => t.priority < g.priority);
      if (!lower.length) continue;
      let cpu = s.cpuUsed[i]!;
      let mem = s.memUsed[i]!;
      let pids = s.pidsUsed[i]!;
      for (const t of lower) {
        cpu -= t.cpu;
        mem -= t.mem;
        pids -= t.pids;
      }
      if (cpu + g.cpu > s.cpuAlloc[i]! || mem + g.mem > s.memAlloc[i]! || pids + g.pids > s.pidsAlloc[i]!) continue;
      const mandatory = new Set<TaskRef>();
      let portsOk = true;
      for (const p of g.ports) {
        if (!s.ports[i]?.has(p)) continue;
        const owner = s.externalPorts[i]?.has(p) ? undefined : s.tasks[i]!.find((t) => t.ports.includes(p));
        if (!owner || owner.priority >= g.priority) portsOk = false;
        else mandatory.add(owner);
      }
      if (!portsOk) continue;
      const cpuA = s.cpuAlloc[i]! || 1;
      const memA = s.memAlloc[i]! || 1;
      const optional = lower
        .filter((t) => !mandatory.has(t))
        .sort((a, b) => b.priority - a.priority || a.cpu / cpuA + a.mem / memA - (b.cpu / cpuA + b.mem / memA));
      const victims = [...mandatory];
      for (const t of optional) {
        if (cpu + t.cpu + g.cpu <= s.cpuAlloc[i]! && mem + t.mem + g.mem <= s.memAlloc[i]! && pids + t.pids + g.pids <= s.pidsAlloc[i]!) {
          cpu += t.cpu;
          mem += t.mem;
          pids += t.pids;
        } else victims.push(t);
      }
      if (!victims.length) continue;
      let maxP = -Infinity;
      let sumP = 0;
      for (const v of victims) {
        maxP = Math.max(maxP, v.priority);
        sumP += v.priority;
      }
      const better =
        !best ||
        maxP < best.maxP ||
        (maxP === best.maxP &&
          (victims.length < best.victims.length ||
            (victims.length === best.victims.length && (sumP < best.sumP || (sumP === best.sumP && this.rank[i]! < this.rank[best.node]!)))));
      if (better) best = { node: i, victims, maxP, sumP };
    }
    return best;
  }

  // -------------------------------------------------------------------------------------------
  // Why pending

  private explain(g: Group, counts: Map<number, number>, preemptionTried: boolean): { reasons: PendingReason[]; message: string } {
    const s = this.s;
    if (s.n === 0) {
      const message = 'no nodes in the cluster';
      return { reasons: [{ code: 'no-nodes', nodes: 0, message }], message };
    }
    const groups = new Map<string, PendingReason>();
    const bump = (code: PendingReasonCode, key: string, init: () => Omit<PendingReason, 'nodes' | 'message' | 'code'>, free?: number): void => {
      const k = `${code}\u0000${key}`;
      let r = groups.get(k);
      if (!r) groups.set(k, (r = { code, nodes: 0, message: '', ...init() }));
      r.nodes++;
      if (free !== undefined) r.mostFree = Math.max(r.mostFree ?? -Infinity, free);
    };
    for (let i = 0; i < s.n; i++) {
      const f = this.staticFail(i, g);
      if (f === FAIL_DOWN) bump('node-down', '', () => ({}));
      else if (f === FAIL_PAUSED) bump('node-paused', '', () => ({}));
      else if (f === FAIL_DRAINING) bump('node-draining', '', () => ({}));
      else if (f === FAIL_PLATFORM) bump('platform-mismatch', '', () => ({ platforms: g.platforms!.map(formatPlatform) }));
      else if (f >= FAIL_CONSTRAINT) {
        const c = g.constraints[f - FAIL_CONSTRAINT]!;
        bump('constraint-not-met', c.text, () => ({ constraint: c.text }));
      } else if (g.maxPerNode > 0 && (counts.get(i) ?? 0) >= g.maxPerNode) bump('max-replicas-per-node', '', () => ({ limit: g.maxPerNode }));
      else {
        const busy = g.ports.length && s.ports[i] ? g.ports.find((p) => s.ports[i]!.has(p) && this.portTaken(i, p, g)) : undefined;
        if (busy !== undefined) bump('host-port-in-use', portText(busy), () => ({ port: portText(busy) }));
        else if (s.cpuUsed[i]! + g.cpu > s.cpuAlloc[i]!) bump('insufficient-cpu', '', () => ({ needs: g.cpu }), Math.max(0, s.cpuAlloc[i]! - s.cpuUsed[i]!));
        else if (s.memUsed[i]! + g.mem > s.memAlloc[i]!) bump('insufficient-memory', '', () => ({ needs: g.mem }), Math.max(0, s.memAlloc[i]! - s.memUsed[i]!));
        else if (s.pidsUsed[i]! + g.pids > s.pidsAlloc[i]!) bump('insufficient-pids', '', () => ({ needs: g.pids }), Math.max(0, s.pidsAlloc[i]! - s.pidsUsed[i]!));
      }
    }
    const reasons = [...groups.values()].sort((a, b) => b.nodes - a.nodes || REASON_ORDER.indexOf(a.code) - REASON_ORDER.indexOf(b.code));
    for (const r of reasons) r.message = `${r.nodes} node${r.nodes === 1 ? '' : 's'}: ${describe(r)}`;
    let message = reasons.map((r) => r.message).join('; ');
    if (preemptionTried && g.priority > 0) message += '; preemption: no node fits even after evicting its lower-priority tasks';
    return { reasons, message };
  }

  private seedRanks(seed: number): void {
    for (let i = 0; i < this.s.n; i++) this.rank[i] = mix32(seed ^ Math.imul(i + 1, 0x9e3779b1));
    this.rankSeed = seed;
    this.cursor = mix32(seed + 0x632be5ab) % Math.max(1, this.s.n);
  }
}

const REASON_ORDER: PendingReasonCode[] = [
  'insufficient-memory',
  'insufficient-cpu',
  'insufficient-pids',
  'host-port-in-use',
  'max-replicas-per-node',
  'constraint-not-met',
  'platform-mismatch',
  'node-paused',
  'node-draining',
  'node-down',
];

function describe(r: PendingReason): string {
  switch (r.code) {
    case 'node-down':
      return 'down';
    case 'node-paused':
      return 'paused';
    case 'node-draining':
      return 'draining';
    case 'platform-mismatch':
      return `platform does not match (needs ${r.platforms!.join(' or ')})`;
    case 'constraint-not-met':
      return `constraint ${r.constraint} not met`;
    case 'max-replicas-per-node':
      return `max replicas per node reached (${r.limit})`;
    case 'host-port-in-use':
      return `host port ${r.port} in use`;
    case 'insufficient-cpu':
      return `insufficient cpu (needs ${formatCpu(r.needs!)}, most free ${formatCpu(r.mostFree!)})`;
    case 'insufficient-memory':
      return `insufficient memory (needs ${formatMemory(r.needs!)}, most free ${formatMemory(r.mostFree!)})`;
    case 'insufficient-pids':
      return `insufficient pids (needs ${r.needs}, most free ${r.mostFree})`;
    default:
      return r.code;
  }
}

function preemptionReason(victims: TaskRef[], hostname: string): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of victims) {
    lo = Math.min(lo, v.priority);
    hi = Math.max(hi, v.priority);
  }
  const n = victims.length;
  return `preempts ${n} task${n === 1 ? '' : 's'} of priority ${lo === hi ? lo : `${lo}–${hi}`} on node ${hostname}`;
}

// ---------------------------------------------------------------------------------------------
// Grouping keys

function sameSpecByReference(a: TaskToPlace, b: TaskToPlace): boolean {
  return (
    a.serviceId === b.serviceId &&
    a.resources === b.resources &&
    a.hostPorts === b.hostPorts &&
    a.constraints === b.constraints &&
    a.preferences === b.preferences &&
    a.image === b.image &&
    a.platforms === b.platforms &&
    a.maxReplicasPerNode === b.maxReplicasPerNode &&
    a.priority === b.priority &&
    a.strategy === b.strategy
  );
}

function groupKey(t: TaskToPlace): string {
  const r = t.resources ?? ({} as TaskToPlace['resources']);
  return [
    t.serviceId,
    `${r.cpuMillis},${r.memoryBytes},${r.pids ?? 0}`,
    (t.hostPorts ?? []).map((p) => `${p.port}/${p.protocol}`).join(',') + (t.sharedPorts ? '+shared' : ''),
    (t.constraints ?? []).join('\u0001'),
    (t.preferences ?? []).join('\u0001'),
    t.maxReplicasPerNode ?? 0,
    t.priority ?? 0,
    t.strategy ?? 'spread',
    (t.platforms ?? []).map((p) => `${p.os ?? ''}/${p.arch ?? ''}`).join(','),
    (t.image?.layers ?? []).map((l) => `${l.digest}:${l.sizeBytes}`).join(','),
  ].join('\u0000');
}

// ---------------------------------------------------------------------------------------------
// Preference tree

/** Down the tree: at each level the group with the fewest tasks of the service that still has a node. Leaf number or −1. */
function chooseLeaf(L: Layout, count: Float64Array, exhausted: Uint8Array): number {
  if (exhausted[0]) return -1;
  let b = 0;
  for (;;) {
    const kids = L.children[b]!;
    if (kids.length === 0) return L.branchLeaf[b]!;
    let pick = -1;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k]!;
      if (!exhausted[c] && (pick < 0 || count[c]! < count[pick]!)) pick = c;
    }
    if (pick < 0) return -1;
    b = pick;
  }
}

function markExhausted(L: Layout, exhausted: Uint8Array, branch: number): void {
  exhausted[branch] = 1;
  for (let p = L.parent[branch]!; p >= 0; p = L.parent[p]!) {
    const kids = L.children[p]!;
    for (let k = 0; k < kids.length; k++) if (!exhausted[kids[k]!]) return;
    exhausted[p] = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Binary min-heap of node numbers, ordered by keys[] then rank[] then number

function less(a: number, b: number, keys: Float64Array, rank: Uint32Array): boolean {
  const ka = keys[a]!;
  const kb = keys[b]!;
  if (ka !== kb) return ka < kb;
  const ra = rank[a]!;
  const rb = rank[b]!;
  return ra !== rb ? ra < rb : a < b;
}

function siftDown(h: Heap, at: number, keys: Float64Array, rank: Uint32Array): void {
  const a = h.a;
  const n = h.n;
  const x = a[at]!;
  for (;;) {
    const l = 2 * at + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && less(a[r]!, a[l]!, keys, rank) ? r : l;
    if (!less(a[c]!, x, keys, rank)) break;
    a[at] = a[c]!;
    at = c;
  }
  a[at] = x;
}

function heapify(h: Heap, keys: Float64Array, rank: Uint32Array): void {
  for (let i = (h.n >> 1) - 1; i >= 0; i--) siftDown(h, i, keys, rank);
}

/** Only ever pushes back the node just popped, so the array has room. */
function heapPush(h: Heap, x: number, keys: Float64Array, rank: Uint32Array): void {
  const a = h.a;
  let at = h.n++;
  while (at > 0) {
    const p = (at - 1) >> 1;
    if (!less(x, a[p]!, keys, rank)) break;
    a[at] = a[p]!;
    at = p;
  }
  a[at] = x;
}

function heapPop(h: Heap, keys: Float64Array, rank: Uint32Array): number {
  const a = h.a;
  const top = a[0]!;
  h.n--;
  if (h.n > 0) {
    a[0] = a[h.n]!;
    siftDown(h, 0, keys, rank);
  }
  return top;
}

/** A 32-bit mixer (murmur3 finaliser): seeded, stable tie-break ranks. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
