import { auditPlacement } from './audit';
import { PlacementEngine } from './index';
import { syntheticScenario, SyntheticScenario } from './synthetic';
import { PlaceOptions, PlaceResult } from './types';

function runAll(sc: SyntheticScenario, options: PlaceOptions): PlaceResult {
  const engine = new PlacementEngine(sc.snapshot);
  const merged: PlaceResult = { placements: [], pending: [], stats: { tasks: 0, placed: 0, pending: 0, preempted: 0, groups: 0, sampledGroups: 0, nodesScored: 0 } };
  for (const batch of sc.batches) {
    const r = engine.place(batch, options);
    merged.placements.push(...r.placements);
    merged.pending.push(...r.pending);
    for (const k of Object.keys(r.stats) as Array<keyof PlaceResult['stats']>) merged.stats[k] += r.stats[k];
  }
  return merged;
}

/** CPU and memory left on each node after the whole run (evicted tasks excluded). */
function finalFree(sc: SyntheticScenario, r: PlaceResult): Map<string, { cpu: number; mem: number }> {
  const evicted = new Set(r.placements.flatMap((p) => (p.evictions ?? []).map((e) => e.taskId)));
  const free = new Map<string, { cpu: number; mem: number }>();
  for (const n of sc.snapshot.nodes) {
    const f = { cpu: n.allocatable.cpuMillis, mem: n.allocatable.memoryBytes };
    for (const t of n.tasks) {
      if (evicted.has(t.taskId)) continue;
      f.cpu -= t.resources.cpuMillis;
      f.mem -= t.resources.memoryBytes;
    }
    free.set(n.id, f);
  }
  const byId = new Map(sc.tasks.map((t) => [t.taskId, t]));
  for (const p of r.placements) {
    if (evicted.has(p.taskId)) continue;
    const t = byId.get(p.taskId)!;
    const f = free.get(p.nodeId)!;
    f.cpu -= t.resources.cpuMillis;
    f.mem -= t.resources.memoryBytes;
  }
  return free;
}

/**
 * Spread violations of plain services (no constraints, preferences, max per node or ports): a
 * node with at least 2 fewer tasks of the service than its busiest node, that still has room for
 * one more. (Full nodes may legitimately hold fewer: binpack services fill nodes.)
 */
function spreadViolations(sc: SyntheticScenario, r: PlaceResult): string[] {
  const free = finalFree(sc, r);
  const eligible = sc.snapshot.nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
  const out: string[] = [];
  for (const s of sc.services) {
    if (s.kind !== 'plain' || s.spec.maxReplicasPerNode || s.spec.hostPorts || s.spec.preferences) continue;
    const m = new Map<string, number>();
    for (const p of r.placements) if (p.serviceId === s.serviceId) m.set(p.nodeId, (m.get(p.nodeId) ?? 0) + 1);
    const max = Math.max(0, ...m.values());
    for (const n of eligible) {
      const f = free.get(n.id)!;
      if ((m.get(n.id) ?? 0) <= max - 2 && f.cpu >= s.spec.resources.cpuMillis && f.mem >= s.spec.resources.memoryBytes) {
        out.push(`${s.serviceId}: ${n.id} has ${m.get(n.id) ?? 0} tasks and room, busiest node ${max}`);
      }
    }
  }
  return out;
}

/** Zone-spread services: a zone 2+ tasks behind the busiest zone while one of its nodes had room. */
function zoneViolations(sc: SyntheticScenario, r: PlaceResult): string[] {
  const free = finalFree(sc, r);
  const zoneOf = new Map(sc.snapshot.nodes.map((n) => [n.id, n.labels['zone']!]));
  const eligible = sc.snapshot.nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
  const out: string[] = [];
  for (const s of sc.services) {
    if (s.kind !== 'zone-spread' || s.spec.maxReplicasPerNode || s.spec.hostPorts) continue;
    const counts = new Map<string, number>();
    for (const p of r.placements) if (p.serviceId === s.serviceId) counts.set(zoneOf.get(p.nodeId)!, (counts.get(zoneOf.get(p.nodeId)!) ?? 0) + 1);
    const max = Math.max(0, ...counts.values());
    for (const n of eligible) {
      const z = zoneOf.get(n.id)!;
      const f = free.get(n.id)!;
      if ((counts.get(z) ?? 0) <= max - 2 && f.cpu >= s.spec.resources.cpuMillis && f.mem >= s.spec.resources.memoryBytes) {
        out.push(`${s.serviceId}: zone ${z} has ${counts.get(z) ?? 0}, busiest ${max}, and ${n.id} has room`);
      }
    }
  }
  return out;
}

describe('randomized property check', () => {
  it.each([1, 2, 3, 4])('seed %i: roomy cluster — every task placed, invariants hold, spread even (exact and sampled)', (seed) => {
    const sc = syntheticScenario({ seed, nodes: 120, tasks: 3000, batchSize: 300, sizeFactor: 3 });
    for (const options of [{ seed }, { seed, percentageOfNodesToScore: 10, minNodesToScore: 10 }]) {
      const r = runAll(sc, options);
      expect(auditPlacement(sc.snapshot, sc.tasks, r)).toEqual([]);
      expect(spreadViolations(sc, r)).toEqual([]);
      expect(zoneViolations(sc, r)).toEqual([]);
      // Pending only for reasons the spec makes unavoidable (max per node, ports, arm64 capacity…), each explained.
      for (const p of r.pending) {
        expect(p.reasons.length).toBeGreaterThan(0);
        expect(p.reasons.reduce((a, x) => a + x.nodes, 0)).toBe(120);
      }
    }
  });

  it.each([5, 6, 7])('seed %i: tight cluster, preemption happens — never over capacity, ports unique, constraints met', (seed) => {
    const sc = syntheticScenario({ seed, nodes: 80, tasks: 4000, batchSize: 500, sizeFactor: 0.12, backgroundPerNode: 1 });
    const r = runAll(sc, { seed });
    expect(r.pending.length).toBeGreaterThan(0);
    expect(r.stats.preempted).toBeGreaterThan(0);
    expect(auditPlacement(sc.snapshot, sc.tasks, r)).toEqual([]);
    for (const p of r.pending) expect(p.message).toMatch(/^\d+ nodes?: /);
  });

  it('is deterministic: same scenario and seed, same result', () => {
    const sc = syntheticScenario({ seed: 9, nodes: 60, tasks: 1500, batchSize: 200 });
    expect(runAll(sc, { seed: 3 })).toEqual(runAll(sc, { seed: 3 }));
    expect(syntheticScenario({ seed: 9, nodes: 60, tasks: 1500, batchSize: 200 })).toEqual(sc);
  });
});
