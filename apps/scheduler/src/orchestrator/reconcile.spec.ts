import type { ServiceSpec } from '@silo/contracts';
import { ClusterModel, emptyModel, NodeModel, ServiceModel, TaskModel } from './model';
import { DEFAULT_RECONCILE_SETTINGS, IdSource, reconcile } from './reconcile';

let seq = 0;
const ids: IdSource = { taskId: (service, slot) => `${service.name}.${slot}.${(seq++).toString(16)}` };

function node(id: string, extra: Partial<NodeModel> = {}): NodeModel {
  return {
    nodeId: id,
    hostname: id,
    os: 'linux',
    arch: 'amd64',
    capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 30000 },
    agentLabels: {},
    adminLabels: {},
    availability: 'active',
    state: 'ready',
    lastSeenMs: 0,
    layers: new Set(),
    reported: new Map(),
    ...extra,
  };
}

function service(name: string, spec: Partial<ServiceSpec> = {}, mode: ServiceModel['mode'] = 'replicated'): ServiceModel {
  return {
    id: `id-${name}`,
    name,
    mode,
    version: 1,
    specs: new Map([[1, { name, image: 'app:v1', ...spec }]]),
    rollout: mode === 'job' ? 'updating' : 'completed',
    createdMs: 0,
    updatedMs: 0,
    failures: new Map(),
  };
}

function cluster(nodes: string[], ...services: ServiceModel[]): ClusterModel {
  const model = emptyModel();
  for (const n of nodes) model.nodes.set(n, node(n));
  for (const s of services) model.services.set(s.id, s);
  return model;
}

const live = (m: ClusterModel, serviceId?: string) => [...m.tasks.values()].filter((t) => t.desired === 'running' && (!serviceId || t.serviceId === serviceId));
const perNode = (m: ClusterModel) => {
  const counts: Record<string, number> = {};
  for (const t of live(m)) if (t.nodeId) counts[t.nodeId] = (counts[t.nodeId] ?? 0) + 1;
  return counts;
};
/** What agents would report: every assigned running task is running, every shut-down one gone. */
function agentsRun(m: ClusterModel, now: number): void {
  for (const n of m.nodes.values()) if (n.state === 'ready') n.lastSeenMs = now;
  for (const t of m.tasks.values()) {
    const n = t.nodeId ? m.nodes.get(t.nodeId) : undefined;
    if (!n || n.state !== 'ready') continue;
    if (t.desired === 'running' && (t.state === 'assigned' || t.state === 'starting')) {
      t.state = 'running';
      t.runningSinceMs = now;
      n.reported.set(t.taskId, 'running');
    } else if (t.desired === 'shutdown' && t.state !== 'lost') {
      t.state = 'removed';
      n.reported.delete(t.taskId);
    }
  }
}
const settings = { ...DEFAULT_RECONCILE_SETTINGS };

describe('reconcile', () => {
  it('places 6 replicas on 3 nodes 2/2/2 and reports the nodes to push', () => {
    const m = cluster(['a', 'b', 'c'], service('web', { replicas: 6 }));
    const result = reconcile(m, 1000, ids, settings);
    expect(perNode(m)).toEqual({ a: 2, b: 2, c: 2 });
    expect([...result.changedNodes].sort()).toEqual(['a', 'b', 'c']);
    expect(live(m).every((t) => t.state === 'assigned')).toBe(true);
  });

  it('is level-triggered: a second round with nothing new changes nothing', () => {
    const m = cluster(['a', 'b'], service('web', { replicas: 2 }));
    reconcile(m, 1000, ids, settings);
    agentsRun(m, 1000);
    const second = reconcile(m, 1100, ids, settings);
    expect(second.changedTasks.size).toBe(0);
    expect(second.changedNodes.size).toBe(0);
  });

  it('scales up and down', () => {
    const web = service('web', { replicas: 2 });
    const m = cluster(['a', 'b'], web);
    reconcile(m, 1000, ids, settings);
    web.specs.set(1, { ...web.specs.get(1)!, replicas: 5 });
    reconcile(m, 1100, ids, settings);
    expect(live(m)).toHaveLength(5);
    web.specs.set(1, { ...web.specs.get(1)!, replicas: 1 });
    reconcile(m, 1200, ids, settings);
    expect(live(m)).toHaveLength(1);
    expect(live(m)[0]!.slot).toBe('1');
  });

  it('a silent node goes down after the deadline and its tasks run elsewhere at once', () => {
    const m = cluster(['a', 'b', 'c'], service('web', { replicas: 6 }));
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    m.nodes.get('a')!.lastSeenMs = 0;
    for (const n of ['b', 'c']) m.nodes.get(n)!.lastSeenMs = 3500;
    const result = reconcile(m, 3500, ids, settings);
    expect(result.nodeTransitions).toEqual([{ nodeId: 'a', state: 'down' }]);
    expect(perNode(m)).toEqual({ b: 3, c: 3 });
    expect([...m.tasks.values()].filter((t) => t.state === 'lost')).toHaveLength(2);
  });

  it('says why a task is pending, and places it once capacity appears', () => {
    const m = cluster(['a'], service('big', { resources: { memoryRequestBytes: 16 * 2 ** 30 } }));
    reconcile(m, 0, ids, settings);
    const [task] = live(m);
    expect(task!.nodeId).toBeUndefined();
    expect(task!.pendingMessage).toMatch(/1 node: insufficient memory/);
    m.nodes.set('huge', node('huge', { capacity: { cpuMillis: 4000, memoryBytes: 64 * 2 ** 30, pids: 1 } }));
    reconcile(m, 100, ids, settings);
    expect(live(m)[0]!.nodeId).toBe('huge');
  });

  it('global: one task per eligible node, following nodes that come and go', () => {
    const m = cluster(['a', 'b'], service('agent', {}, 'global'));
    reconcile(m, 0, ids, settings);
    expect(perNode(m)).toEqual({ a: 1, b: 1 });
    m.nodes.set('c', node('c', { lastSeenMs: 0 }));
    reconcile(m, 10, ids, settings);
    expect(perNode(m)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('rolling update, stop-first, one at a time: never more than one slot in flight', () => {
    const web = service('web', { replicas: 3, updateConfig: { parallelism: 1, monitorMs: 0 } });
    const m = cluster(['a', 'b', 'c'], web);
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    web.specs.set(2, { ...web.specs.get(1)!, image: 'app:v2' });
    web.previousVersion = 1;
    web.version = 2;
    web.rollout = 'updating';
    let now = 100;
    for (let round = 0; round < 10 && web.rollout === 'updating'; round++) {
      reconcile(m, now, ids, settings);
      const v2InFlight = live(m).filter((t) => t.version === 2 && t.state !== 'running');
      expect(v2InFlight.length).toBeLessThanOrEqual(1);
      agentsRun(m, now);
      now += 100;
    }
    expect(web.rollout).toBe('completed');
    expect(live(m).map((t) => t.version)).toEqual([2, 2, 2]);
  });

  it('a failing new version rolls back by itself when failureAction is rollback', () => {
    const web = service('web', { replicas: 2, updateConfig: { failureAction: 'rollback', monitorMs: 0 } });
    const m = cluster(['a', 'b'], web);
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    web.specs.set(2, { ...web.specs.get(1)!, image: 'app:broken' });
    web.previousVersion = 1;
    web.version = 2;
    web.rollout = 'updating';
    reconcile(m, 100, ids, settings);
    const broken = live(m).find((t) => t.version === 2)!;
    broken.state = 'failed';
    broken.reason = 'image app:broken: not-found';
    reconcile(m, 200, ids, settings);
    expect(web.rollout).toBe('rolling-back');
    expect(web.version).toBe(1);
    expect(web.rolloutMessage).toMatch(/not-found/);
    let now = 300;
    for (let round = 0; round < 10 && (web.rollout as string) === 'rolling-back'; round++) {
      agentsRun(m, now);
      reconcile(m, (now += 100), ids, settings);
    }
    expect(web.rollout).toBe('rolled-back');
    expect(live(m).every((t) => t.version === 1)).toBe(true);
  });

  it('drain: replacements start first, the old task stops only once its replacement runs', () => {
    const m = cluster(['a', 'b', 'c'], service('web', { replicas: 6 }));
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    m.nodes.get('a')!.availability = 'drain';
    reconcile(m, 100, ids, settings);
    // the two tasks on a are still running while their replacements are placed on b and c
    expect(live(m).filter((t) => t.nodeId === 'a' && t.state === 'running')).toHaveLength(2);
    agentsRun(m, 100);
    reconcile(m, 200, ids, settings);
    agentsRun(m, 200);
    reconcile(m, 300, ids, settings);
    expect(perNode(m)).toEqual({ b: 3, c: 3 });
  });

  it('rebalances gradually when a node joins', () => {
    const m = cluster(['a', 'b'], service('web', { replicas: 6 }));
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    m.nodes.set('c', node('c'));
    let now = 100;
    for (let round = 0; round < 12; round++) {
      reconcile(m, now, ids, settings);
      agentsRun(m, now);
      now += 100;
      expect(live(m).filter((t) => t.state === 'running' && !t.replacedBy).length).toBeGreaterThanOrEqual(6);
    }
    expect(perNode(m)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('a job runs to completion with its parallelism', () => {
    const job = service('batch', { completions: 3, parallelism: 2 }, 'job');
    const m = cluster(['a', 'b'], job);
    reconcile(m, 0, ids, settings);
    expect(live(m)).toHaveLength(2);
    let now = 100;
    for (let round = 0; round < 6 && job.rollout !== 'completed'; round++) {
      for (const t of live(m)) {
        t.state = 'exited';
        t.exitCode = 0;
      }
      reconcile(m, (now += 100), ids, settings);
    }
    expect(job.rollout).toBe('completed');
    expect([...m.tasks.values()].filter((t: TaskModel) => t.desired === 'complete')).toHaveLength(3);
  });

  it('a job gives up after three failed runs, even once the failed runs are forgotten', () => {
    const job = service('flaky', {}, 'job');
    const m = cluster(['a'], job);
    let now = 0;
    reconcile(m, now, ids, settings);
    const slots: string[] = [];
    for (let run = 0; run < 5 && job.rollout === 'updating'; run++) {
      const [task] = live(m);
      slots.push(task!.slot);
      task!.state = 'exited';
      task!.exitCode = 4;
      // the count is stored (a restarted scheduler must not grant more runs)
      expect(reconcile(m, (now += 100), ids, settings).savedServices.has(job.id)).toBe(true);
      // the agent removes the failed run; the scheduler forgets it
      agentsRun(m, now);
      reconcile(m, (now += 100), ids, settings);
      expect([...m.tasks.values()].filter((t) => t.taskId === task!.taskId)).toHaveLength(0);
    }
    expect(job.rollout).toBe('paused');
    expect(job.rolloutMessage).toBe('3 failed runs: giving up');
    expect(job.lastExitCode).toBe(4);
    expect(slots).toEqual(['1', '2', '3']);
    expect(live(m)).toHaveLength(0);
  });

  it('a higher-priority service preempts lower-priority tasks when nothing else fits, and says so', () => {
    const low = service('batch', { replicas: 2, priority: 0, resources: { memoryRequestBytes: 4 * 2 ** 30 } });
    const m = cluster(['a'], low);
    reconcile(m, 0, ids, settings);
    agentsRun(m, 0);
    expect(live(m, low.id)).toHaveLength(2);
    const high = service('critical', { replicas: 1, priority: 10, resources: { memoryRequestBytes: 4 * 2 ** 30 } });
    m.services.set(high.id, high);
    reconcile(m, 100, ids, settings);
    const critical = live(m, high.id)[0]!;
    expect(critical.nodeId).toBe('a');
    const victim = [...m.tasks.values()].find((t) => t.serviceId === low.id && t.desired === 'shutdown')!;
    expect(victim.reason).toMatch(/preempted by critical/);
    // the preempted slot asks again and waits with a reason
    agentsRun(m, 100);
    reconcile(m, 200, ids, settings);
    const waiting = live(m, low.id).find((t) => !t.nodeId);
    expect(waiting?.pendingMessage).toMatch(/insufficient memory/);
  });

  it('prefers a node that already holds the image (image locality)', () => {
    const m = cluster(['a', 'b', 'c'], service('web', { replicas: 1, image: 'reg/app:v1' }));
    m.nodes.get('b')!.images = new Map([['reg/app:v1', ['sha256:l1', 'sha256:l2']]]);
    m.nodes.get('b')!.layers = new Set(['sha256:l1', 'sha256:l2']);
    reconcile(m, 0, ids, settings);
    expect(live(m)[0]!.nodeId).toBe('b');
  });
});
