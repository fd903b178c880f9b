import { auditPlacement } from './audit';
import { place, PlacementEngine } from './index';
import { Gi, Mi, node, perNode, replicas, running } from './test-fixtures';
import { ClusterSnapshot } from './types';

const cluster = (...nodes: ClusterSnapshot['nodes']): ClusterSnapshot => ({ nodes });

describe('place: filters', () => {
  it('gives nothing to paused, drained or down nodes', () => {
    const snap = cluster(node('a'), node('p', { availability: 'pause' }), node('d', { availability: 'drain' }), node('x', { state: 'down' }));
    const r = place(snap, replicas('web', 5));
    expect(perNode(r.placements)).toEqual({ a: 5 });
  });

  it('places only where resources fit (cpu, memory, pids)', () => {
    const snap = cluster(
      node('small', { cpu: 500, mem: 8 * Gi }),
      node('lowmem', { cpu: 8000, mem: 256 * Mi }),
      node('fewpids', { allocatable: { cpuMillis: 8000, memoryBytes: 8 * Gi, pids: 10 } }),
      node('big', { cpu: 8000, mem: 8 * Gi }),
    );
    const r = place(snap, replicas('web', 3, { resources: { cpuMillis: 1000, memoryBytes: 512 * Mi, pids: 100 } }));
    expect(perNode(r.placements)).toEqual({ big: 3 });
  });

  it('honours constraints on labels, hostname, id and platform', () => {
    const snap = cluster(
      node('n1', { labels: { zone: 'eu' } }),
      node('n2', { labels: { zone: 'eu' }, hostname: 'h2' }),
      node('n3', { labels: { zone: 'us' } }),
      node('n4', { labels: { zone: 'eu' }, platform: { os: 'linux', arch: 'arm64' } }),
    );
    expect(perNode(place(snap, replicas('a', 4, { constraints: ['node.labels.zone==eu', 'node.hostname!=h2'] })).placements)).toEqual({ n1: 2, n4: 2 });
    expect(perNode(place(snap, replicas('b', 2, { constraints: ['node.id==n3'] })).placements)).toEqual({ n3: 2 });
    expect(perNode(place(snap, replicas('c', 2, { constraints: ['node.platform.arch==aarch64'] })).placements)).toEqual({ n4: 2 });
    expect(perNode(place(snap, replicas('d', 3, { constraints: ['node.labels.zone!=eu'] })).placements)).toEqual({ n3: 3 });
    expect(perNode(place(snap, replicas('e', 2, { constraints: ['node.labels.missing!=x'] })).placements)).toEqual({ n1: 1, n2: 1 });
  });

  it('matches the image platform', () => {
    const snap = cluster(node('amd'), node('arm', { platform: { os: 'linux', arch: 'aarch64' } }));
    expect(perNode(place(snap, replicas('a', 2, { platforms: [{ os: 'linux', arch: 'arm64' }] })).placements)).toEqual({ arm: 2 });
    expect(perNode(place(snap, replicas('b', 2, { platforms: [{ arch: 'arm64' }, { arch: 'amd64' }] })).placements)).toEqual({ amd: 1, arm: 1 });
  });

  it('never uses a host port twice on a node (per protocol)', () => {
    const snap = cluster(node('a', { usedPorts: { tcp: [8080] } }), node('b', { tasks: [running('old', 'x', 10, 10, 0, { hostPorts: [{ port: 8080, protocol: 'udp' }] })] }), node('c'));
    const r = place(snap, replicas('web', 3, { hostPorts: [{ port: 8080, protocol: 'tcp' }] }));
    expect(perNode(r.placements)).toEqual({ b: 1, c: 1 });
    expect(r.pending).toHaveLength(1);
    expect(r.pending[0]!.message).toBe('3 nodes: host port 8080/tcp in use');
    expect(r.pending[0]!.reasons).toEqual([{ code: 'host-port-in-use', nodes: 3, port: '8080/tcp', message: '3 nodes: host port 8080/tcp in use' }]);
  });

  it('respects max replicas per node', () => {
    const snap = cluster(node('a'), node('b'));
    const r = place(snap, replicas('web', 5, { maxReplicasPerNode: 2 }));
    expect(perNode(r.placements)).toEqual({ a: 2, b: 2 });
    expect(r.pending[0]!.message).toBe('2 nodes: max replicas per node reached (2)');
  });

  it('counts tasks already running for max per node', () => {
    const snap = cluster(node('a', { tasks: [running('w0', 'web', 100, Mi)] }), node('b'));
    expect(perNode(place(snap, replicas('web', 2, { maxReplicasPerNode: 1 })).placements)).toEqual({ b: 1 });
  });
});

describe('place: scores', () => {
  it('spreads 6 replicas on 3 equal nodes 2/2/2', () => {
    const r = place(cluster(node('a'), node('b'), node('c')), replicas('web', 6));
    expect(perNode(r.placements)).toEqual({ a: 2, b: 2, c: 2 });
    expect(r.pending).toEqual([]);
  });

  it('counts the service’s running tasks for spread', () => {
    const snap = cluster(node('a', { tasks: [running('w1', 'web', 100, Mi), running('w2', 'web', 100, Mi)] }), node('b'), node('c'));
    expect(perNode(place(snap, replicas('web', 4)).placements)).toEqual({ b: 2, c: 2 });
  });

  it('prefers the least allocated node by default', () => {
    const snap = cluster(node('busy', { tasks: [running('x', 'other', 3000, 6 * Gi)] }), node('idle'));
    expect(place(snap, replicas('web', 1)).placements[0]!.nodeId).toBe('idle');
  });

  it('spreads over zones first, even with uneven node counts (as Swarm)', () => {
    const snap = cluster(
      node('eu1', { labels: { zone: 'eu' } }),
      node('us1', { labels: { zone: 'us' } }),
      node('us2', { labels: { zone: 'us' } }),
      node('us3', { labels: { zone: 'us' } }),
    );
    const r = place(snap, replicas('web', 8, { preferences: ['spread=node.labels.zone'] }));
    const byZone = { eu: 0, us: 0 };
    for (const p of r.placements) byZone[p.nodeId.startsWith('eu') ? 'eu' : 'us']++;
    expect(byZone).toEqual({ eu: 4, us: 4 });
    const us = Object.entries(perNode(r.placements)).filter(([id]) => id.startsWith('us')).map(([, n]) => n).sort();
    expect(us).toEqual([1, 1, 2]);
    expect(perNode(r.placements)['eu1']).toBe(4);
  });

  it('counts existing tasks per zone and nests preferences', () => {
    const snap = cluster(
      node('eu-r1', { labels: { zone: 'eu', rack: 'r1' }, tasks: [running('w0', 'web', 100, Mi), running('w00', 'web', 100, Mi)] }),
      node('eu-r2', { labels: { zone: 'eu', rack: 'r2' } }),
      node('us-r1', { labels: { zone: 'us', rack: 'r1' } }),
      node('us-r2', { labels: { zone: 'us', rack: 'r2' } }),
      node('nolabel', {}),
    );
    const r = place(snap, replicas('web', 7, { preferences: ['spread=node.labels.zone', 'spread=node.labels.rack'] }));
    // Groups: eu (2 running), us, "" (no label). 9 tasks → 3 per zone group.
    const p = perNode(r.placements);
    expect((p['eu-r1'] ?? 0) + (p['eu-r2'] ?? 0)).toBe(1);
    expect((p['us-r1'] ?? 0) + (p['us-r2'] ?? 0)).toBe(3);
    expect(p['nolabel']).toBe(3);
    expect(Math.abs((p['us-r1'] ?? 0) - (p['us-r2'] ?? 0))).toBe(1);
  });

  it('places a single task in the least-loaded preference group (one-task fast path)', () => {
    const snap = cluster(
      node('eu1', { labels: { zone: 'eu' }, tasks: [running('w1', 'web', 100, Mi)] }),
      node('eu2', { labels: { zone: 'eu' } }),
      node('us1', { labels: { zone: 'us' }, tasks: [running('x', 'other', 3000, 6 * Gi)] }),
      node('us2', { labels: { zone: 'us' }, cpu: 50 }),
    );
    const r = place(snap, replicas('web', 1, { preferences: ['spread=node.labels.zone'] }));
    expect(r.placements[0]!.nodeId).toBe('us1');
    // One at a time gives the same as a batch.
    const engine = new PlacementEngine(snap);
    const oneByOne = [1, 2, 3].map((k) => engine.place([{ ...replicas('web', 1, { preferences: ['spread=node.labels.zone'] })[0]!, taskId: `x${k}` }]).placements[0]!.nodeId);
    const batch = place(snap, replicas('web', 3, { preferences: ['spread=node.labels.zone'] })).placements.map((p) => p.nodeId);
    expect(oneByOne).toEqual(batch);
  });

  it('moves on to the next group when a preference group is full', () => {
    const snap = cluster(node('eu1', { labels: { zone: 'eu' }, cpu: 200 }), node('us1', { labels: { zone: 'us' } }));
    const r = place(snap, replicas('web', 4, { preferences: ['spread=node.labels.zone'] }));
    expect(perNode(r.placements)).toEqual({ eu1: 2, us1: 2 });
    const r2 = place(snap, replicas('web', 5, { preferences: ['spread=node.labels.zone'] }));
    expect(perNode(r2.placements)).toEqual({ eu1: 2, us1: 3 });
  });

  it('binpack fills one node before the next', () => {
    const snap = cluster(node('a', { cpu: 1000 }), node('b', { cpu: 1000 }), node('c', { cpu: 1000 }));
    const r = place(snap, replicas('batch', 5, { strategy: 'binpack', resources: { cpuMillis: 250, memoryBytes: Mi } }));
    const counts = Object.values(perNode(r.placements)).sort();
    expect(counts).toEqual([1, 4]);
  });

  it('binpack picks the fullest node that fits', () => {
    const snap = cluster(node('empty'), node('half', { tasks: [running('x', 'o', 2000, 4 * Gi)] }), node('full', { tasks: [running('y', 'o', 3950, 4 * Gi)] }));
    const r = place(snap, replicas('batch', 1, { strategy: 'binpack', resources: { cpuMillis: 100, memoryBytes: Mi } }));
    expect(r.placements[0]!.nodeId).toBe('half');
  });

  it('image locality breaks ties between equal nodes', () => {
    const layers = [
      { digest: 'sha256:aaa', sizeBytes: 50 * Mi },
      { digest: 'sha256:bbb', sizeBytes: 10 * Mi },
    ];
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const snap = cluster(node('a'), node('b', { layers: ['sha256:bbb'] }), node('c', { layers: ['sha256:aaa'] }), node('d'));
      const r = place(snap, replicas('web', 1, { image: { layers } }), { seed });
      expect(r.placements[0]!.nodeId).toBe('c');
    }
  });

  it('image locality does not override spread across nodes', () => {
    const snap = cluster(node('a', { layers: ['sha256:aaa'] }), node('b'));
    const r = place(snap, replicas('web', 2, { image: { layers: [{ digest: 'sha256:aaa', sizeBytes: Gi }] } }));
    expect(perNode(r.placements)).toEqual({ a: 1, b: 1 });
  });
});

describe('place: batches', () => {
  it('places higher priority first when capacity is short', () => {
    const snap = cluster(node('a', { cpu: 1000 }));
    const tasks = [...replicas('low', 2, { resources: { cpuMillis: 500, memoryBytes: Mi } }), ...replicas('high', 1, { priority: 10, resources: { cpuMillis: 600, memoryBytes: Mi } })];
    const r = place(snap, tasks, { preemption: false });
    expect(r.placements.map((p) => p.taskId)).toEqual(['high.1']);
    expect(r.pending.map((p) => p.taskId)).toEqual(['low.1', 'low.2']);
  });

  it('keeps state between batches of one engine', () => {
    const engine = new PlacementEngine(cluster(node('a'), node('b'), node('c')));
    const first = engine.place(replicas('web', 2));
    const second = engine.place(replicas('web', 4).slice(2));
    expect(Object.values(perNode([...first.placements, ...second.placements])).sort()).toEqual([1, 1, 2]);
  });

  it('returns placements in input order and does not modify the snapshot', () => {
    const snap = cluster(node('a'), node('b'));
    const before = JSON.stringify(snap);
    const tasks = [...replicas('x', 2), ...replicas('y', 2, { priority: 5 })];
    const r = place(snap, tasks);
    expect(r.placements.map((p) => p.taskId)).toEqual(['x.1', 'x.2', 'y.1', 'y.2']);
    expect(JSON.stringify(snap)).toBe(before);
    expect(auditPlacement(snap, tasks, r)).toEqual([]);
  });

  it('is deterministic for a seed and breaks ties by it', () => {
    const snap = cluster(...Array.from({ length: 20 }, (_, i) => node(`n${i}`)));
    const tasks = replicas('web', 7);
    const a = place(snap, tasks, { seed: 42 });
    const b = place(snap, tasks, { seed: 42 });
    expect(b).toEqual(a);
    const firsts = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => place(snap, tasks, { seed }).placements[0]!.nodeId));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('does not place a task id twice (already running, earlier batch, or twice in a batch)', () => {
    const engine = new PlacementEngine(cluster(node('a', { tasks: [running('web.1', 'web', 100, Mi)] }), node('b')));
    const r1 = engine.place([...replicas('web', 2), replicas('web', 2)[1]!]);
    expect(r1.placements.map((p) => p.taskId)).toEqual(['web.2']);
    expect(r1.pending.map((p) => [p.taskId, p.reasons[0]!.code, p.message])).toEqual([
      ['web.1', 'duplicate-task', 'task web.1 is already placed on node a'],
      ['web.2', 'duplicate-task', 'task web.2 appears twice in the batch'],
    ]);
    expect(engine.place(replicas('web', 2).slice(1)).pending[0]!.message).toMatch(/^task web.2 is already placed on node /);
  });

  it('groups tasks with equal specs even when they are separate objects', () => {
    const snap = cluster(node('a'), node('b'));
    const tasks = [0, 1, 2, 3].map((i) => ({ taskId: `w${i}`, serviceId: 'web', resources: { cpuMillis: 100, memoryBytes: Mi }, constraints: ['node.hostname!=zzz'] }));
    const r = place(snap, tasks);
    expect(r.stats.groups).toBe(1);
    expect(perNode(r.placements)).toEqual({ a: 2, b: 2 });
  });
});

describe('place: sampling (percentageOfNodesToScore)', () => {
  it('scores a sample for small groups yet keeps spread exact', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`, { cpu: 4000 + (i % 7) * 1000 }));
    const snap = cluster(...nodes);
    const engine = new PlacementEngine(snap);
    const all = [];
    for (let k = 0; k < 300; k++) {
      const r = engine.place(replicas('svc', 3).map((t) => ({ ...t, taskId: `${t.taskId}-${k}` })), { percentageOfNodesToScore: 5, minNodesToScore: 20 });
      all.push(...r.placements);
    }
    const counts = Object.values(perNode(all));
    expect(all).toHaveLength(900);
    expect(Math.max(...counts)).toBe(1); // 900 tasks on 1000 nodes: never two on a node
  });

  it('falls back to the exact path when the service covers most nodes', () => {
    const snap = cluster(...Array.from({ length: 10 }, (_, i) => node(`n${i}`)));
    const engine = new PlacementEngine(snap);
    const placed = [];
    for (let k = 0; k < 30; k++) placed.push(...engine.place([{ ...replicas('svc', 1)[0]!, taskId: `t${k}` }], { percentageOfNodesToScore: 10, minNodesToScore: 1 }).placements);
    expect(Object.values(perNode(placed))).toEqual(Array(10).fill(3));
  });
});

describe('shared host ports (one service publishing a port once per node)', () => {
  it('lets replicas of one service share a host port on a node, and keeps other services out', () => {
    const snapshot = { nodes: [node('a')] };
    const engine = new PlacementEngine(snapshot);
    const web = engine.place(replicas('web', 2, { hostPorts: [{ port: 8080, protocol: 'tcp' }], sharedPorts: true }));
    expect(perNode(web.placements)).toEqual({ a: 2 });
    const other = engine.place(replicas('api', 1, { hostPorts: [{ port: 8080, protocol: 'tcp' }], sharedPorts: true }));
    expect(other.placements).toHaveLength(0);
    expect(other.pending[0]!.message).toMatch(/8080/);
  });

  it('without sharing, a host port is one task\'s', () => {
    const result = place({ nodes: [node('a')] }, replicas('web', 2, { hostPorts: [{ port: 8080, protocol: 'tcp' }] }));
    expect(result.placements).toHaveLength(1);
    expect(result.pending).toHaveLength(1);
  });
});
