import type { ServiceSpec } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { ClusterModel, emptyModel, NodeModel, ServiceModel, TaskModel, withTeam } from './model';
import { clusterTasks, nodeAllocations, nodeState, nodeViews, RegisteredNode, serviceChangedEvent, serviceTasks, serviceView } from './views';

const MiB = 2 ** 20;

function node(id: string, extra: Partial<NodeModel> = {}): NodeModel {
  return {
    nodeId: id,
    hostname: `host-${id}`,
    os: 'linux',
    arch: 'arm64',
    capacity: { cpuMillis: 4000, memoryBytes: 8192 * MiB, pids: 30000 },
    agentLabels: { zone: 'eu' },
    adminLabels: {},
    availability: 'active',
    state: 'ready',
    lastSeenMs: 0,
    heardMs: 1000,
    lastHeartbeatMs: 1000,
    layers: new Set(),
    reported: new Map(),
    ...extra,
  };
}

function service(name: string, spec: Partial<ServiceSpec> = {}): ServiceModel {
  return {
    id: `id-${name}`,
    name,
    mode: 'replicated',
    version: 1,
    specs: new Map([[1, { name, image: 'app:v1', ...spec }]]),
    rollout: 'completed',
    createdMs: 0,
    updatedMs: 0,
    failures: new Map(),
  };
}

let seq = 0;
function task(svc: ServiceModel, slot: string, extra: Partial<TaskModel> = {}): TaskModel {
  seq += 1;
  return { taskId: `${svc.name}.${slot}.${seq}`, serviceId: svc.id, slot, version: svc.version, desired: 'running', state: 'running', createdMs: seq, updatedMs: seq, ...extra };
}

function cluster(nodes: NodeModel[], services: ServiceModel[], tasks: TaskModel[]): ClusterModel {
  const model = emptyModel();
  for (const n of nodes) model.nodes.set(n.nodeId, n);
  for (const s of services) model.services.set(s.id, s);
  for (const t of tasks) model.tasks.set(t.taskId, t);
  return model;
}

const row = (nodeId: string, extra: Partial<RegisteredNode> = {}): RegisteredNode => ({
  nodeId,
  hostname: `host-${nodeId}`,
  agentVersion: '1.2.3',
  os: 'linux',
  arch: 'amd64',
  cpuMillis: 2000,
  memoryBytes: 1024 * MiB,
  labels: { zone: 'us' },
  availability: 'active',
  adminLabels: {},
  ...extra,
});

describe('nodeAllocations', () => {
  it('sums the requests (else limits) and pids of the non-terminal tasks of existing services per node', () => {
    const web = service('web', { resources: { cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryRequestBytes: 64 * MiB, pids: 100 } });
    const batch = service('batch', { resources: { cpuLimitMillis: 500, memoryLimitBytes: 32 * MiB } });
    const gone = service('gone', { resources: { cpuRequestMillis: 9000 } });
    const model = cluster(
      [node('a'), node('b')],
      [web, batch],
      [
        task(web, '1', { nodeId: 'a' }),
        task(web, '2', { nodeId: 'a', state: 'starting' }),
        // stopping still occupies its node
        task(web, '3', { nodeId: 'b', desired: 'shutdown', state: 'stopping' }),
        task(batch, '1', { nodeId: 'a', state: 'assigned' }),
        // terminal: frees its place
        task(web, '4', { nodeId: 'a', state: 'exited', exitCode: 1 }),
        task(web, '5', { nodeId: 'b', state: 'lost', desired: 'shutdown' }),
        task(batch, '2', { nodeId: 'b', state: 'removed', desired: 'shutdown' }),
        // not placed yet
        task(web, '6', { state: 'pending' }),
        // a removed service's task (its spec is gone with it)
        task(gone, '1', { nodeId: 'a' }),
      ],
    );
    const allocations = nodeAllocations(model);
    expect(allocations.get('a')).toEqual({ allocated: { cpuMillis: 250 + 250 + 500, memoryBytes: 64 * MiB * 2 + 32 * MiB, pids: 200 }, tasks: 3, runningTasks: 1 });
    expect(allocations.get('b')).toEqual({ allocated: { cpuMillis: 250, memoryBytes: 64 * MiB, pids: 100 }, tasks: 1, runningTasks: 0 });
  });

  it('counts each task with the spec of its own version', () => {
    const web = service('web', { resources: { cpuRequestMillis: 100 } });
    const old = task(web, '1', { nodeId: 'a' });
    web.specs.set(2, { name: 'web', image: 'app:v2', resources: { cpuRequestMillis: 700 } });
    web.version = 2;
    const model = cluster([node('a')], [web], [old, task(web, '2', { nodeId: 'a' })]);
    expect(nodeAllocations(model).get('a')!.allocated.cpuMillis).toBe(800);
  });
});

describe('nodeState', () => {
  it('is unknown until this scheduler hears from the node, then what the reconciler says', () => {
    expect(nodeState(undefined)).toBe('unknown');
    expect(nodeState(node('a', { heardMs: undefined }))).toBe('unknown');
    expect(nodeState(node('a'))).toBe('ready');
    expect(nodeState(node('a', { state: 'down' }))).toBe('down');
    expect(nodeState(node('a', { state: 'down', heardMs: undefined }))).toBe('down');
  });
});

describe('nodeViews', () => {
  const web = service('web', { resources: { cpuRequestMillis: 300, memoryRequestBytes: 10 * MiB, pids: 5 } });

  it('joins the model with the registry: the model wins, the registry adds the agent version and the nodes the model lacks', () => {
    const model = cluster([node('a', { adminLabels: { role: 'db' }, availability: 'drain', state: 'down' })], [web], [task(web, '1', { nodeId: 'b' })]);
    const views = nodeViews(model, [row('b', { adminLabels: { zone: 'ap' }, availability: 'pause' }), row('a')]);
    expect(views).toEqual([
      {
        nodeId: 'a',
        hostname: 'host-a',
        state: 'down',
        availability: 'drain',
        labels: { zone: 'eu', role: 'db' },
        platform: { os: 'linux', arch: 'arm64' },
        agentVersion: '1.2.3',
        capacity: { cpuMillis: 4000, memoryBytes: 8192 * MiB, pids: 30000 },
        allocatable: { cpuMillis: 4000, memoryBytes: 8192 * MiB, pids: 30000 },
        allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 },
        tasks: 0,
        runningTasks: 0,
        lastHeartbeatAt: new Date(1000).toISOString(),
      },
      {
        nodeId: 'b',
        hostname: 'host-b',
        state: 'unknown',
        availability: 'pause',
        labels: { zone: 'ap' },
        platform: { os: 'linux', arch: 'amd64' },
        agentVersion: '1.2.3',
        capacity: { cpuMillis: 2000, memoryBytes: 1024 * MiB, pids: 0 },
        allocatable: { cpuMillis: 2000, memoryBytes: 1024 * MiB, pids: 0 },
        allocated: { cpuMillis: 300, memoryBytes: 10 * MiB, pids: 5 },
        tasks: 1,
        runningTasks: 1,
      },
    ]);
  });

  it('answers one node, and NOT_FOUND for a node neither knows', () => {
    const model = cluster([node('a', { heardMs: undefined, lastHeartbeatMs: undefined })], [], []);
    const [only, ...rest] = nodeViews(model, [row('b')], 'a');
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ nodeId: 'a', state: 'unknown' });
    expect(only).not.toHaveProperty('lastHeartbeatAt');
    expect(only).not.toHaveProperty('agentVersion');
    expect(nodeViews(model, [row('b')], 'b').map((v) => v.nodeId)).toEqual(['b']);
    let error: unknown;
    try {
      nodeViews(model, [row('b')], 'c');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SiloError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'no node c' });
  });
});

describe('clusterTasks', () => {
  const web = service('web', { team: 'alpha' });
  const api = service('api');
  const gone = service('gone', { team: 'alpha' });
  const t = {
    web2: task(web, '2', { nodeId: 'a' }),
    web1old: task(web, '1', { nodeId: 'a', desired: 'shutdown', state: 'exited', exitCode: 0 }),
    web1: task(web, '1', { nodeId: 'b' }),
    api1: task(api, '1', { nodeId: 'a' }),
    pending: task(api, '2', { state: 'pending', pendingMessage: '1 node: insufficient memory' }),
    gone1: task(gone, '1', { nodeId: 'a', desired: 'shutdown', state: 'stopping' }),
  };
  const model = cluster([node('a'), node('b')], [web, api], Object.values(t));
  const ids = (tasks: { taskId: string }[]) => tasks.map((x) => x.taskId);

  it('lists the tasks the service views show (terminal ones included, removed services not), by service then slot', () => {
    const all = clusterTasks(model);
    expect(ids(all)).toEqual([t.api1.taskId, t.pending.taskId, t.web1old.taskId, t.web1.taskId, t.web2.taskId]);
    // the same ServiceTask as service.tasks, plus the service and its team
    expect(all.filter((x) => x.service === 'web').map(({ service: s, team, ...rest }) => ({ s, team, rest }))).toEqual(
      serviceTasks(model, web).map((rest) => ({ s: 'web', team: 'alpha', rest })),
    );
    expect(all.find((x) => x.service === 'api')).not.toHaveProperty('team');
    expect(all.find((x) => x.taskId === t.pending.taskId)).toMatchObject({ state: 'pending', pendingMessage: '1 node: insufficient memory' });
  });

  it('filters by service, node and task; the filters combine', () => {
    expect(ids(clusterTasks(model, { service: 'web' }))).toEqual([t.web1old.taskId, t.web1.taskId, t.web2.taskId]);
    expect(ids(clusterTasks(model, { nodeId: 'a' }))).toEqual([t.api1.taskId, t.web1old.taskId, t.web2.taskId]);
    expect(ids(clusterTasks(model, { service: 'web', nodeId: 'b' }))).toEqual([t.web1.taskId]);
    expect(clusterTasks(model, { service: 'nope' })).toEqual([]);
    expect(clusterTasks(model, { nodeId: 'zz' })).toEqual([]);
    expect(clusterTasks(model, { taskId: t.web1.taskId })).toEqual([{ ...serviceTasks(model, web).find((x) => x.taskId === t.web1.taskId), service: 'web', team: 'alpha' }]);
    expect(clusterTasks(model, { taskId: t.web1.taskId, nodeId: 'a' })).toEqual([]);
  });

  it('says NOT_FOUND for an unknown task, and for one of a removed service', () => {
    expect(() => clusterTasks(model, { taskId: 'nope.1.0' })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
    expect(() => clusterTasks(model, { taskId: t.gone1.taskId })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
  });
});

describe('serviceChangedEvent', () => {
  const web = service('web', { team: 'alpha', replicas: 3 });
  const model = cluster([node('a')], [web], [task(web, '1', { nodeId: 'a' }), task(web, '2', { nodeId: 'a', state: 'starting' })]);

  it('carries the action, team, desired and running counts of the view', () => {
    expect(serviceChangedEvent(serviceView(model, web), 'scaled')).toEqual({ action: 'scaled', name: 'web', version: 1, rollout: 'completed', team: 'alpha', desired: 3, running: 1 });
    web.rolloutMessage = 'task x failed: update paused';
    web.rollout = 'paused';
    expect(serviceChangedEvent(serviceView(model, web), 'rollout')).toMatchObject({ rollout: 'paused', message: 'task x failed: update paused' });
  });

  it('wants nothing of a removed service', () => {
    expect(serviceChangedEvent(serviceView(model, web), 'removed')).toMatchObject({ action: 'removed', desired: 0, running: 1 });
  });

  it('has no team for a service without one', () => {
    expect(serviceChangedEvent(serviceView(model, service('api')), 'created')).not.toHaveProperty('team');
  });
});

describe('withTeam', () => {
  const spec: ServiceSpec = { name: 'web', image: 'app:v2' };
  it('keeps the current team when the new spec names none, and a named one otherwise', () => {
    expect(withTeam(spec, 'alpha')).toEqual({ ...spec, team: 'alpha' });
    expect(withTeam({ ...spec, team: 'beta' }, 'alpha')).toEqual({ ...spec, team: 'beta' });
    expect(withTeam(spec, undefined)).toEqual(spec);
    expect(withTeam(spec, undefined)).not.toHaveProperty('team');
  });
});
