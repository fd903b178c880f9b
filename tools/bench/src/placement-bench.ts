/**
 * `npm run bench:placement`: the scheduler's placement engine alone (issue 5, benchmark 10(a)) —
 * 5,000 nodes, 100,000 tasks with mixed constraints, zone spread, binpack, max-per-node, host
 * ports, priorities and images, seeded. See tools/bench/README.md.
 *
 * Progress goes to stderr; the results (tables, then one JSON line, always the last line) to stdout.
 */
// The placement engine is a pure module inside the scheduler app (DESIGN.md: "so it can be tested
// and benchmarked alone"); the benchmark measures it in-process, as the reconciler calls it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { auditPlacement, PlacementEngine, PlaceOptions, PlaceResult } from '../../../apps/scheduler/src/placement';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { syntheticScenario, SyntheticScenario } from '../../../apps/scheduler/src/placement/synthetic';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { machineBusyCpuSeconds } from './registry/platform';
import { intSetting, median, round, table } from './registry/stats';

const ANCHORS = {
  'kube-scheduler, real 5,000-node cluster': 100,
  'kube-scheduler, its simulated benchmark': 810,
  'Nomad C1M': 3750,
  'target (issue 5)': 20000,
} as const;

interface Settings {
  nodes: number;
  tasks: number;
  batch: number;
  seed: number;
  runs: number;
  /** percentageOfNodesToScore of the sampled variant (0: skip it). */
  pct: number;
  /** Second scenario: this many single-replica services (every task its own group; 0: skip). */
  singletons: number;
}

function loadSettings(env: Record<string, string | undefined>): Settings {
  return {
    nodes: intSetting(env, 'BENCH_NODES', 5000),
    tasks: intSetting(env, 'BENCH_TASKS', 100_000),
    batch: intSetting(env, 'BENCH_BATCH', 1000),
    seed: intSetting(env, 'BENCH_SEED', 1, 0),
    runs: intSetting(env, 'BENCH_RUNS', 3),
    pct: intSetting(env, 'BENCH_PCT', 10, 0),
    singletons: intSetting(env, 'BENCH_SINGLETONS', 20_000, 0),
  };
}

function log(message: string): void {
  process.stderr.write(`bench | ${message}\n`);
}

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

interface Run {
  ingestS: number;
  placeS: number;
  batchMs: number[];
  result: PlaceResult;
  /** CPU seconds used meanwhile by other processes on the machine (noise). */
  foreignCpuS: number;
}

function runOnce(sc: SyntheticScenario, options: PlaceOptions): Run {
  const busy0 = machineBusyCpuSeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const engine = new PlacementEngine(sc.snapshot);
  const t1 = performance.now();
  const batchMs: number[] = [];
  const merged: PlaceResult = { placements: [], pending: [], stats: { tasks: 0, placed: 0, pending: 0, preempted: 0, groups: 0, sampledGroups: 0, nodesScored: 0 } };
  for (const batch of sc.batches) {
    const b0 = performance.now();
    const r = engine.place(batch, options);
    batchMs.push(performance.now() - b0);
    for (const p of r.placements) merged.placements.push(p);
    for (const p of r.pending) merged.pending.push(p);
    for (const k of Object.keys(r.stats) as Array<keyof PlaceResult['stats']>) merged.stats[k] += r.stats[k];
  }
  const own = process.cpuUsage(own0);
  const foreignCpuS = Math.max(0, machineBusyCpuSeconds() - busy0 - (own.user + own.system) / 1e6);
  return { ingestS: (t1 - t0) / 1000, placeS: batchMs.reduce((a, b) => a + b, 0) / 1000, batchMs, result: merged, foreignCpuS };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

interface Quality {
  auditProblems: number;
  firstProblem?: string;
  placed: number;
  pending: number;
  preempted: number;
  pendingExample?: string;
  /** The largest service without constraints/preferences/limits: replicas, eligible nodes, max − min replicas per eligible node. */
  largestPlain?: { serviceId: string; replicas: number; eligibleNodes: number; maxMinusMinPerNode: number; maxPerNode: number };
  /** Over services spread by zone: the worst max − min tasks per zone. */
  worstZoneImbalance: number;
  zoneSpreadServices: number;
  /** Share of allocatable CPU requested, over active ready nodes. */
  cpuAllocation: { p50: number; p99: number; max: number };
}

function quality(sc: SyntheticScenario, r: PlaceResult): Quality {
  const problems = auditPlacement(sc.snapshot, sc.tasks, r);
  const eligible = sc.snapshot.nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
  const perService = new Map<string, Map<string, number>>();
  for (const p of r.placements) {
    let m = perService.get(p.serviceId);
    if (!m) perService.set(p.serviceId, (m = new Map()));
    m.set(p.nodeId, (m.get(p.nodeId) ?? 0) + 1);
  }
  const plain = sc.services
    .filter((s) => s.kind === 'plain' && !s.spec.maxReplicasPerNode && !s.spec.hostPorts && !s.spec.preferences)
    .sort((a, b) => b.replicas - a.replicas)[0];
  let largestPlain: Quality['largestPlain'];
  if (plain) {
    const m = perService.get(plain.serviceId) ?? new Map<string, number>();
    const counts = eligible.map((n) => m.get(n.id) ?? 0);
    largestPlain = {
      serviceId: plain.serviceId,
      replicas: plain.replicas,
      eligibleNodes: eligible.length,
      maxMinusMinPerNode: Math.max(...counts) - Math.min(...counts),
      maxPerNode: Math.max(...counts),
    };
  }
  const zoneOf = new Map(sc.snapshot.nodes.map((n) => [n.id, n.labels['zone'] ?? '']));
  const zones = [...new Set(eligible.map((n) => zoneOf.get(n.id)!))];
  let worstZone = 0;
  let zoneSpread = 0;
  for (const s of sc.services) {
    if (s.kind !== 'zone-spread' || s.spec.maxReplicasPerNode || s.spec.hostPorts) continue;
    zoneSpread++;
    const byZone = new Map(zones.map((z) => [z, 0]));
    for (const [nodeId, c] of perService.get(s.serviceId) ?? []) byZone.set(zoneOf.get(nodeId)!, byZone.get(zoneOf.get(nodeId)!)! + c);
    worstZone = Math.max(worstZone, Math.max(...byZone.values()) - Math.min(...byZone.values()));
  }
  const taskById = new Map(sc.tasks.map((t) => [t.taskId, t]));
  const evicted = new Set(r.placements.flatMap((p) => (p.evictions ?? []).map((e) => e.taskId)));
  const cpuUsed = new Map(sc.snapshot.nodes.map((n) => [n.id, n.tasks.filter((t) => !evicted.has(t.taskId)).reduce((a, t) => a + t.resources.cpuMillis, 0)]));
  for (const p of r.placements) if (!evicted.has(p.taskId)) cpuUsed.set(p.nodeId, cpuUsed.get(p.nodeId)! + taskById.get(p.taskId)!.resources.cpuMillis);
  const alloc = eligible.map((n) => cpuUsed.get(n.id)! / n.allocatable.cpuMillis);
  return {
    auditProblems: problems.length,
    firstProblem: problems[0],
    placed: r.placements.length,
    pending: r.pending.length,
    preempted: r.stats.preempted,
    pendingExample: r.pending[0] ? `${r.pending[0].taskId}: ${r.pending[0].message}` : undefined,
    largestPlain,
    worstZoneImbalance: worstZone,
    zoneSpreadServices: zoneSpread,
    cpuAllocation: { p50: round(percentile(alloc, 50)), p99: round(percentile(alloc, 99)), max: round(Math.max(...alloc)) },
  };
}

interface ModeSummary {
  mode: string;
  options: PlaceOptions;
  runs: Run[];
  placementsPerS: number;
  placementsPerSMin: number;
  placementsPerSMax: number;
  batchP50Ms: number;
  batchP99Ms: number;
  ingestS: number;
  nodesScoredPerTask: number;
  sampledGroups: number;
  groups: number;
  foreignCpuShare: number;
  quality: Quality;
}

function summarizeMode(mode: string, options: PlaceOptions, sc: SyntheticScenario, runs: Run[]): ModeSummary {
  const rates = runs.map((r) => sc.tasks.length / r.placeS);
  const last = runs[runs.length - 1]!;
  const allBatches = runs.flatMap((r) => r.batchMs);
  const wall = runs.reduce((a, r) => a + r.placeS + r.ingestS, 0);
  return {
    mode,
    options,
    runs,
    placementsPerS: Math.round(median(rates)),
    placementsPerSMin: Math.round(Math.min(...rates)),
    placementsPerSMax: Math.round(Math.max(...rates)),
    batchP50Ms: round(percentile(allBatches, 50), 2),
    batchP99Ms: round(percentile(allBatches, 99), 2),
    ingestS: round(median(runs.map((r) => r.ingestS))),
    nodesScoredPerTask: round(last.result.stats.nodesScored / sc.tasks.length, 1),
    sampledGroups: last.result.stats.sampledGroups,
    groups: last.result.stats.groups,
    foreignCpuShare: round(runs.reduce((a, r) => a + r.foreignCpuS, 0) / (wall * cpus().length), 3),
    quality: quality(sc, last.result),
  };
}

function main(): void {
  const settings = loadSettings(process.env);
  log(`building the scenario: ${settings.nodes} nodes, ${settings.tasks} tasks, batches of ~${settings.batch}, seed ${settings.seed}`);
  const b0 = performance.now();
  const sc = syntheticScenario({ seed: settings.seed, nodes: settings.nodes, tasks: settings.tasks, batchSize: settings.batch });
  const buildS = (performance.now() - b0) / 1000;
  const kinds = new Map<string, number>();
  for (const s of sc.services) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + s.replicas);
  log(`scenario: ${sc.services.length} services, ${sc.batches.length} batches, built in ${buildS.toFixed(2)} s`);
  const load0 = loadavg();

  const modes: Array<{ mode: string; options: PlaceOptions }> = [{ mode: 'exact', options: { seed: settings.seed } }];
  if (settings.pct > 0 && settings.pct < 100) {
    modes.push({ mode: `sampled ${settings.pct}%`, options: { seed: settings.seed, percentageOfNodesToScore: settings.pct, minNodesToScore: 100 } });
  }
  // Warm-up (JIT), not timed: a tenth of the batches.
  {
    const engine = new PlacementEngine(sc.snapshot);
    for (const b of sc.batches.slice(0, Math.max(1, Math.floor(sc.batches.length / 10)))) engine.place(b, modes[0]!.options);
  }
  const measure = (scenario: SyntheticScenario, label: string): ModeSummary[] =>
    modes.map((m) => {
      const runs: Run[] = [];
      for (let i = 0; i < settings.runs; i++) {
        const run = runOnce(scenario, m.options);
        log(`${label}, ${m.mode}, run ${i + 1}/${settings.runs}: ${Math.round(scenario.tasks.length / run.placeS)} placements/s (${run.placeS.toFixed(3)} s, ingest ${run.ingestS.toFixed(3)} s)`);
        runs.push(run);
      }
      return summarizeMode(m.mode, m.options, scenario, runs);
    });
  const summaries = measure(sc, 'main');
  let single: { sc: SyntheticScenario; summaries: ModeSummary[] } | undefined;
  if (settings.singletons > 0) {
    const s1 = syntheticScenario({ seed: settings.seed + 1, nodes: settings.nodes, tasks: settings.singletons, batchSize: settings.batch, maxReplicas: 1 });
    log(`singleton scenario: ${s1.tasks.length} single-replica services on ${settings.nodes} nodes`);
    single = { sc: s1, summaries: measure(s1, 'singletons') };
  }
  const load1 = loadavg();

  out(`Placement engine: ${settings.nodes} nodes, ${sc.tasks.length} tasks (${sc.services.length} services: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}), ${sc.batches.length} batches, seed ${settings.seed}, ${settings.runs} runs per mode`);
  out(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${load0[0]!.toFixed(2)} before → ${load1[0]!.toFixed(2)} after`);
  out();
  out(
    table(
      ['mode', 'placements/s (median)', 'min–max', 'batch p50', 'batch p99', 'ingest', 'nodes scored/task', 'other CPU load'],
      summaries.map((s) => [
        s.mode,
        String(s.placementsPerS),
        `${s.placementsPerSMin}–${s.placementsPerSMax}`,
        `${s.batchP50Ms} ms`,
        `${s.batchP99Ms} ms`,
        `${s.ingestS} s`,
        String(s.nodesScoredPerTask),
        `${Math.round(s.foreignCpuShare * 100)}%`,
      ]),
    ),
  );
  out();
  out(
    table(
      ['against', 'placements/s', ...summaries.map((s) => `ratio (${s.mode})`)],
      Object.entries(ANCHORS).map(([name, rate]) => [name, String(rate), ...summaries.map((s) => `${round(s.placementsPerS / rate, 1)}×`)]),
    ),
  );
  out();
  out(
    table(
      ['quality', ...summaries.map((s) => s.mode)],
      [
        ['placed / pending / preempted', ...summaries.map((s) => `${s.quality.placed} / ${s.quality.pending} / ${s.quality.preempted}`)],
        ['audit problems (capacity, ports, constraints, max/node)', ...summaries.map((s) => String(s.quality.auditProblems))],
        [
          `largest plain service: max−min replicas per node`,
          ...summaries.map((s) => (s.quality.largestPlain ? `${s.quality.largestPlain.maxMinusMinPerNode} (${s.quality.largestPlain.replicas} on ${s.quality.largestPlain.eligibleNodes} nodes, max ${s.quality.largestPlain.maxPerNode})` : '–')),
        ],
        ['zone-spread services: worst max−min per zone', ...summaries.map((s) => `${s.quality.worstZoneImbalance} (${s.quality.zoneSpreadServices} services)`)],
        ['CPU requested/allocatable per node p50 / p99 / max', ...summaries.map((s) => `${s.quality.cpuAllocation.p50} / ${s.quality.cpuAllocation.p99} / ${s.quality.cpuAllocation.max}`)],
        ['groups (sampled)', ...summaries.map((s) => `${s.groups} (${s.sampledGroups})`)],
      ],
    ),
  );
  if (single) {
    out();
    out(`Worst case for grouping: ${single.sc.tasks.length} single-replica services (every task its own group, a full filter+score pass each), same ${settings.nodes} nodes`);
    out();
    out(
      table(
        ['mode', 'placements/s (median)', 'min–max', 'batch p50', 'batch p99', 'nodes scored/task', 'placed / pending', 'audit problems', 'other CPU load'],
        single.summaries.map((s) => [
          s.mode,
          String(s.placementsPerS),
          `${s.placementsPerSMin}–${s.placementsPerSMax}`,
          `${s.batchP50Ms} ms`,
          `${s.batchP99Ms} ms`,
          String(s.nodesScoredPerTask),
          `${s.quality.placed} / ${s.quality.pending}`,
          String(s.quality.auditProblems),
          `${Math.round(s.foreignCpuShare * 100)}%`,
        ]),
      ),
    );
  }
  for (const s of [...summaries, ...(single?.summaries ?? [])]) if (s.quality.firstProblem) out(`${s.mode}: first audit problem: ${s.quality.firstProblem}`);
  if (summaries[0]?.quality.pendingExample) out(`why pending, e.g. ${summaries[0].quality.pendingExample}`);
  out();
  const exact = summaries[0]!;
  const json = {
    placements_per_s: exact.placementsPerS,
    target_placements_per_s: ANCHORS['target (issue 5)'],
    target_ratio: round(exact.placementsPerS / ANCHORS['target (issue 5)'], 2),
    kube_real_ratio: round(exact.placementsPerS / ANCHORS['kube-scheduler, real 5,000-node cluster'], 1),
    kube_sim_ratio: round(exact.placementsPerS / ANCHORS['kube-scheduler, its simulated benchmark'], 1),
    nomad_c1m_ratio: round(exact.placementsPerS / ANCHORS['Nomad C1M'], 1),
    modes: Object.fromEntries(
      summaries.map((s) => [
        s.mode,
        {
          placements_per_s: { median: s.placementsPerS, min: s.placementsPerSMin, max: s.placementsPerSMax, n: s.runs.length },
          batch_ms: { p50: s.batchP50Ms, p99: s.batchP99Ms },
          ingest_s: s.ingestS,
          nodes_scored_per_task: s.nodesScoredPerTask,
          groups: s.groups,
          sampled_groups: s.sampledGroups,
          placed: s.quality.placed,
          pending: s.quality.pending,
          preempted: s.quality.preempted,
          audit_problems: s.quality.auditProblems,
          largest_plain_max_minus_min_per_node: s.quality.largestPlain?.maxMinusMinPerNode ?? null,
          worst_zone_imbalance: s.quality.worstZoneImbalance,
          cpu_allocation: s.quality.cpuAllocation,
          noise_cpu_share: s.foreignCpuShare,
        },
      ]),
    ),
    singletons: single
      ? Object.fromEntries(
          single.summaries.map((s) => [
            s.mode,
            {
              placements_per_s: { median: s.placementsPerS, min: s.placementsPerSMin, max: s.placementsPerSMax, n: s.runs.length },
              batch_ms: { p50: s.batchP50Ms, p99: s.batchP99Ms },
              nodes_scored_per_task: s.nodesScoredPerTask,
              placed: s.quality.placed,
              pending: s.quality.pending,
              audit_problems: s.quality.auditProblems,
              noise_cpu_share: s.foreignCpuShare,
            },
          ]),
        )
      : null,
    singleton_tasks: single?.sc.tasks.length ?? 0,
    nodes: settings.nodes,
    tasks: sc.tasks.length,
    services: sc.services.length,
    batches: sc.batches.length,
    seed: settings.seed,
    runs: settings.runs,
    cpus: cpus().length,
    load_avg: [round(load0[0]!, 2), round(load1[0]!, 2)],
  };
  out(JSON.stringify(json));
}

try {
  main();
} catch (e) {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
}
