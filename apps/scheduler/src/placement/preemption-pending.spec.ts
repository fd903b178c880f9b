import { auditPlacement } from './audit';
import { place } from './index';
import { Gi, Mi, node, replicas, running } from './test-fixtures';
import { ClusterSnapshot } from './types';

const cluster = (...nodes: ClusterSnapshot['nodes']): ClusterSnapshot => ({ nodes });

describe('preemption', () => {
  it('picks the node with the cheapest victims and says so', () => {
    const snap = cluster(
      // h1: would need one priority-5 task out.
      node('h1', { cpu: 1000, tasks: [running('h1-a', 'mid', 800, Mi, 5)] }),
      // h2: two priority-0 tasks out.
      node('h2', { cpu: 1000, tasks: [running('h2-a', 'low', 400, Mi, 0), running('h2-b', 'low', 400, Mi, 0), running('h2-c', 'low', 100, Mi, 0)] }),
      // h3: three priority-0 tasks out.
      node('h3', { cpu: 1000, tasks: [running('h3-a', 'low', 300, Mi, 0), running('h3-b', 'low', 300, Mi, 0), running('h3-c', 'low', 300, Mi, 0)] }),
    );
    const tasks = replicas('urgent', 1, { priority: 10, resources: { cpuMillis: 800, memoryBytes: Mi } });
    const r = place(snap, tasks);
    expect(r.pending).toEqual([]);
    const p = r.placements[0]!;
    expect(p.nodeId).toBe('h2');
    expect(p.reason).toBe('preempts 2 tasks of priority 0 on node h2');
    expect(p.evictions!.map((e) => e.taskId).sort()).toEqual(['h2-a', 'h2-b']);
    expect(p.evictions!.every((e) => e.priority === 0 && e.nodeId === 'h2')).toBe(true);
    expect(r.stats.preempted).toBe(2);
    expect(auditPlacement(snap, tasks, r)).toEqual([]);
  });

  it('evicts one big task rather than many small ones of the same priority', () => {
    const snap = cluster(node('h1', { cpu: 1000, tasks: [running('s1', 'x', 200, Mi), running('s2', 'x', 200, Mi), running('s3', 'x', 200, Mi), running('big', 'x', 400, Mi)] }));
    const r = place(snap, replicas('urgent', 1, { priority: 1, resources: { cpuMillis: 400, memoryBytes: Mi } }));
    expect(r.placements[0]!.evictions!.map((e) => e.taskId)).toEqual(['big']);
  });

  it('never evicts tasks of equal or higher priority', () => {
    const snap = cluster(node('h1', { cpu: 1000, tasks: [running('eq', 'x', 600, Mi, 10)] }), node('h2', { cpu: 1000, tasks: [running('hi', 'y', 600, Mi, 20), running('lo', 'z', 300, Mi, 1)] }));
    const r = place(snap, replicas('urgent', 1, { priority: 10, resources: { cpuMillis: 800, memoryBytes: Mi } }));
    expect(r.placements).toEqual([]);
    expect(r.pending[0]!.message).toBe('2 nodes: insufficient cpu (needs 0.8, most free 0.4); preemption: no node fits even after evicting its lower-priority tasks');
  });

  it('priority 0 tasks do not preempt, and preemption can be turned off', () => {
    const snap = cluster(node('h1', { cpu: 1000, tasks: [running('lo', 'x', 900, Mi, 0)] }));
    expect(place(snap, replicas('a', 1, { resources: { cpuMillis: 500, memoryBytes: Mi } })).pending).toHaveLength(1);
    expect(place(snap, replicas('b', 1, { priority: 5, resources: { cpuMillis: 500, memoryBytes: Mi } }), { preemption: false }).pending).toHaveLength(1);
  });

  it('frees a host port held by a lower-priority task, never one held by something else', () => {
    const port = [{ port: 443, protocol: 'tcp' as const }];
    const snap = cluster(node('h1', { tasks: [running('old', 'x', 10, Mi, 0, { hostPorts: port })] }), node('h2', { usedPorts: { tcp: [443] } }));
    const r = place(snap, replicas('edge', 2, { priority: 3, hostPorts: port }));
    expect(r.placements).toHaveLength(1);
    expect(r.placements[0]!).toMatchObject({ nodeId: 'h1', reason: 'preempts 1 task of priority 0 on node h1' });
    expect(r.pending[0]!.message).toMatch(/^2 nodes: host port 443\/tcp in use/);
  });

  it('preempts once per task, placing later replicas without eviction when room was freed', () => {
    const snap = cluster(node('h1', { cpu: 1000, tasks: [running('lo', 'x', 1000, Mi, 0)] }));
    const r = place(snap, replicas('urgent', 2, { priority: 1, resources: { cpuMillis: 400, memoryBytes: Mi } }));
    expect(r.placements).toHaveLength(2);
    expect(r.placements[0]!.evictions).toHaveLength(1);
    expect(r.placements[1]!.evictions).toBeUndefined();
  });
});

describe('why pending', () => {
  it('groups nodes by the first filter they fail, most nodes first', () => {
    const snap = cluster(
      node('m1', { labels: { zone: 'eu' }, mem: 1 * Gi, tasks: [running('x1', 'o', 100, 768 * Mi)] }),
      node('m2', { labels: { zone: 'eu' }, mem: 1 * Gi, tasks: [running('x2', 'o', 100, 900 * Mi)] }),
      node('m3', { labels: { zone: 'eu' }, mem: 1 * Gi, tasks: [running('x3', 'o', 100, 1000 * Mi)] }),
      node('u1', { labels: { zone: 'us' } }),
      node('u2', {}),
      node('p1', { labels: { zone: 'eu' }, availability: 'pause' }),
    );
    const r = place(snap, replicas('web', 2, { constraints: ['node.labels.zone==eu'], resources: { cpuMillis: 100, memoryBytes: 512 * Mi } }));
    expect(r.placements).toEqual([]);
    expect(r.pending).toHaveLength(2);
    const why = r.pending[0]!;
    expect(why.message).toBe('3 nodes: insufficient memory (needs 512Mi, most free 256Mi); 2 nodes: constraint node.labels.zone==eu not met; 1 node: paused');
    expect(why.nodesTotal).toBe(6);
    expect(why.reasons).toEqual([
      { code: 'insufficient-memory', nodes: 3, needs: 512 * Mi, mostFree: 256 * Mi, message: '3 nodes: insufficient memory (needs 512Mi, most free 256Mi)' },
      { code: 'constraint-not-met', nodes: 2, constraint: 'node.labels.zone==eu', message: '2 nodes: constraint node.labels.zone==eu not met' },
      { code: 'node-paused', nodes: 1, message: '1 node: paused' },
    ]);
    expect(r.pending[1]!.message).toBe(why.message);
  });

  it('explains every kind of rejection', () => {
    const snap = cluster(
      node('down', { state: 'down' }),
      node('drain', { availability: 'drain' }),
      node('arm', { platform: { os: 'linux', arch: 'arm64' } }),
      node('h1'),
      node('full', { cpu: 100 }),
      node('port', { usedPorts: { udp: [53] } }),
      node('pids', { allocatable: { cpuMillis: 4000, memoryBytes: 8 * Gi, pids: 5 } }),
      node('max', { tasks: [running('d0', 'dns', 10, Mi)] }),
    );
    const r = place(
      snap,
      replicas('dns', 1, {
        platforms: [{ os: 'linux', arch: 'amd64' }],
        constraints: ['node.hostname!=h1'],
        hostPorts: [{ port: 53, protocol: 'udp' }],
        maxReplicasPerNode: 1,
        resources: { cpuMillis: 500, memoryBytes: Mi, pids: 10 },
      }),
    );
    const codes = Object.fromEntries(r.pending[0]!.reasons.map((x) => [x.code, x.nodes]));
    expect(codes).toEqual({
      'node-down': 1,
      'node-draining': 1,
      'platform-mismatch': 1,
      'constraint-not-met': 1,
      'insufficient-cpu': 1,
      'host-port-in-use': 1,
      'insufficient-pids': 1,
      'max-replicas-per-node': 1,
    });
    expect(r.pending[0]!.message).toContain('1 node: platform does not match (needs linux/amd64)');
    expect(r.pending[0]!.message).toContain('1 node: insufficient cpu (needs 0.5, most free 0.1)');
    expect(r.pending[0]!.message).toContain('1 node: host port 53/udp in use');
    expect(r.pending[0]!.message).toContain('1 node: insufficient pids (needs 10, most free 5)');
    expect(r.pending[0]!.message).toContain('1 node: max replicas per node reached (1)');
    expect(r.pending[0]!.message).toContain('1 node: down');
  });

  it('reports an invalid spec with every problem, and still places the rest of the batch', () => {
    const snap = cluster(node('a'));
    const r = place(snap, [...replicas('bad', 1, { constraints: ['node.zone==eu'], preferences: ['spread=zone'] }), ...replicas('good', 1)]);
    expect(r.placements.map((p) => p.taskId)).toEqual(['good.1']);
    expect(r.pending[0]!.reasons[0]!.code).toBe('invalid-spec');
    expect(r.pending[0]!.message).toMatch(/invalid constraint "node.zone==eu": unknown attribute.*; invalid placement preference "spread=zone"/);
  });

  it('says when there are no nodes', () => {
    expect(place({ nodes: [] }, replicas('a', 1)).pending[0]!.message).toBe('no nodes in the cluster');
  });
});
