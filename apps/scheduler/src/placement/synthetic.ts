/**
 * A seeded synthetic cluster and workload for the randomized property test and the benchmark
 * (`tools/bench/src/placement-bench.ts`): nodes in uneven zones, racks, two architectures, three
 * sizes, a few paused/drained/down; services with skewed replica counts and a mix of constraints,
 * zone spread, binpack, max-per-node, host ports, priorities and images. Pure: same options, same data.
 */
import { ClusterSnapshot, ImageLayer, NodeSnapshot, TaskToPlace } from './types';

export interface SyntheticOptions {
  seed: number;
  nodes: number;
  /** Tasks to place (approximately: whole services are generated until this many). */
  tasks: number;
  /** Tasks already running per node (low priority, other services). Default 2. */
  backgroundPerNode?: number;
  /** Target number of tasks per batch; a service's replicas stay in one batch. Default 1000. */
  batchSize?: number;
  /** Multiply every node's size (to make the cluster tight). Default 1. */
  sizeFactor?: number;
  /** Cap on replicas per service (1: every task its own service, the worst case for grouping). */
  maxReplicas?: number;
}

export interface SyntheticService {
  serviceId: string;
  replicas: number;
  spec: Omit<TaskToPlace, 'taskId' | 'serviceId'>;
  kind: 'plain' | 'constrained' | 'zone-spread' | 'binpack';
}

export interface SyntheticScenario {
  snapshot: ClusterSnapshot;
  services: SyntheticService[];
  batches: TaskToPlace[][];
  tasks: TaskToPlace[];
}

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;
export const SYNTHETIC_ZONES: Array<[string, number]> = [
  ['eu-1', 0.3],
  ['eu-2', 0.25],
  ['us-1', 0.2],
  ['us-2', 0.15],
  ['ap-1', 0.1],
];

export function syntheticScenario(o: SyntheticOptions): SyntheticScenario {
  const rnd = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const sizeFactor = o.sizeFactor ?? 1;

  // Images: a shared base layer per family + own layers.
  const bases: ImageLayer[] = Array.from({ length: 4 }, (_, i) => ({ digest: `sha256:base${i}`, sizeBytes: (20 + i * 30) * Mi }));
  const images: ImageLayer[][] = Array.from({ length: 40 }, (_, i) => [
    bases[i % bases.length]!,
    ...Array.from({ length: 2 + (i % 4) }, (_, k) => ({ digest: `sha256:img${i}-l${k}`, sizeBytes: Math.round((1 + rnd() * 80) * Mi) })),
  ]);

  const nodes: NodeSnapshot[] = [];
  for (let i = 0; i < o.nodes; i++) {
    let r = rnd();
    let zone = SYNTHETIC_ZONES[0]![0];
    for (const [z, w] of SYNTHETIC_ZONES) {
      if (r < w) {
        zone = z;
        break;
      }
      r -= w;
    }
    const size = pick([1, 2, 4]);
    const cpu = Math.round(8000 * size * sizeFactor);
    const mem = Math.round(32 * Gi * size * sizeFactor);
    const u = rnd();
    const labels: Record<string, string> = { zone, rack: `r${i % 40}`, disk: rnd() < 0.4 ? 'ssd' : 'hdd' };
    if (rnd() < 0.03) labels['gpu'] = 'true';
    const layers = new Set<string>();
    for (let k = 0; k < 5; k++) for (const l of pick(images)) layers.add(l.digest);
    const id = `node-${String(i).padStart(5, '0')}`;
    const n: NodeSnapshot = {
      id,
      hostname: `h${i}`,
      availability: u < 0.01 ? 'pause' : u < 0.02 ? 'drain' : 'active',
      state: u >= 0.02 && u < 0.03 ? 'down' : 'ready',
      labels,
      platform: { os: 'linux', arch: rnd() < 0.1 ? 'arm64' : 'amd64' },
      capacity: { cpuMillis: cpu, memoryBytes: mem, pids: 32768 },
      allocatable: { cpuMillis: cpu - 200, memoryBytes: mem - Gi, pids: 32000 },
      layers: [...layers],
      usedPorts: { tcp: [22] },
      tasks: [],
    };
    for (let k = 0; k < (o.backgroundPerNode ?? 2); k++) {
      n.tasks.push({ taskId: `bg-${i}-${k}`, serviceId: `bg-${k}`, priority: 0, resources: { cpuMillis: 250, memoryBytes: 512 * Mi } });
    }
    nodes.push(n);
  }

  const services: SyntheticService[] = [];
  let total = 0;
  for (let s = 0; total < o.tasks; s++) {
    const r = rnd();
    let replicas = r < 0.6 ? 1 + Math.floor(rnd() * 20) : r < 0.9 ? 20 + Math.floor(rnd() * 80) : 100 + Math.floor(rnd() * 400);
    replicas = Math.min(replicas, o.tasks - total, o.maxReplicas ?? Infinity);
    const spec: SyntheticService['spec'] = {
      resources: { cpuMillis: pick([100, 100, 250, 250, 500, 1000]), memoryBytes: pick([128, 256, 256, 512, 1024, 2048]) * Mi, pids: 100 },
    };
    let kind: SyntheticService['kind'] = 'plain';
    const constraints: string[] = [];
    const k = rnd();
    if (k < 0.25) constraints.push(`node.labels.zone==${pick(SYNTHETIC_ZONES)[0]}`);
    else if (k < 0.35) constraints.push('node.labels.disk==ssd');
    else if (k < 0.4) {
      constraints.push('node.platform.arch==arm64');
      spec.platforms = [{ os: 'linux', arch: 'arm64' }];
    } else if (k < 0.45) constraints.push(`node.labels.zone!=${pick(SYNTHETIC_ZONES)[0]}`);
    if (rnd() < 0.1) constraints.push(`node.hostname!=h${Math.floor(rnd() * o.nodes)}`);
    if (constraints.length) {
      spec.constraints = constraints;
      kind = 'constrained';
    }
    const p = rnd();
    if (p < 0.2) {
      spec.preferences = ['spread=node.labels.zone'];
      if (!constraints.length) kind = 'zone-spread';
    } else if (p < 0.25) spec.preferences = ['spread=node.labels.zone', 'spread=node.labels.rack'];
    if (rnd() < 0.1 && !spec.preferences) {
      spec.strategy = 'binpack';
      if (kind === 'plain') kind = 'binpack';
    }
    if (rnd() < 0.1) spec.maxReplicasPerNode = 1 + Math.floor(rnd() * 2);
    if (rnd() < 0.03) {
      spec.hostPorts = [{ port: 30000 + (s % 30000), protocol: rnd() < 0.8 ? 'tcp' : 'udp' }];
      replicas = Math.min(replicas, 50);
    }
    if (rnd() < 0.1) spec.priority = 100;
    if (rnd() < 0.7) spec.image = { layers: pick(images) };
    services.push({ serviceId: `svc-${s}`, replicas, spec, kind });
    total += replicas;
  }

  const tasks: TaskToPlace[] = [];
  const batches: TaskToPlace[][] = [];
  let batch: TaskToPlace[] = [];
  const batchSize = o.batchSize ?? 1000;
  for (const svc of services) {
    for (let r = 0; r < svc.replicas; r++) {
      const t: TaskToPlace = { ...svc.spec, taskId: `${svc.serviceId}.${r + 1}`, serviceId: svc.serviceId };
      tasks.push(t);
      batch.push(t);
    }
    if (batch.length >= batchSize) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length) batches.push(batch);
  return { snapshot: { nodes }, services, batches, tasks };
}
