import {
  AgentTaskListReply,
  AgentTaskSetReply,
  AgentTaskSpec,
  HealthReply,
  NodeHeartbeatEvent,
  NodeRegisterRequest,
  Subjects,
  TaskStatus,
  validateContract,
} from '@silo/contracts';
import { NatsServerHandle, natsRequest, startNatsServer, waitFor } from '@silo/testing';
import { connect, NatsConnection, StringCodec } from 'nats';
import { SimulatedClusterHandle, startSimulatedCluster } from './simulator';

const codec = StringCodec();

function decode<T>(data: Uint8Array): T {
  return (JSON.parse(codec.decode(data)) as { data: T }).data;
}

function task(id: string, extra: Partial<AgentTaskSpec> = {}): AgentTaskSpec {
  return { taskId: id, image: 'library/app:1', resources: { cpuMillis: 500, memoryBytes: 256 * 1024 * 1024 }, ...extra };
}

describe('cluster simulator', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const registrations: NodeRegisterRequest[] = [];
  const heartbeats: NodeHeartbeatEvent[] = [];
  const events: TaskStatus[] = [];
  let refuseRegistrations = 0;
  let generation = 1;
  const sims: SimulatedClusterHandle[] = [];

  const sim = async (...args: Parameters<typeof startSimulatedCluster>) => {
    const handle = await startSimulatedCluster(...args);
    sims.push(handle);
    return handle;
  };
  const setTasks = (nodeId: string, tasks: AgentTaskSpec[], gen = ++generation, timeoutMs = 2000) =>
    natsRequest(nc, Subjects.agentTasksSet(nodeId), { generation: gen, tasks }, AgentTaskSetReply, timeoutMs);
  const eventsOf = (nodeId: string, taskId?: string) => events.filter((e) => e.nodeId === nodeId && (!taskId || e.taskId === taskId)).map((e) => `${e.taskId}:${e.state}`);

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    // A stand-in for the scheduler's registration handler: validates, refuses the first N.
    nc.subscribe(Subjects.nodeRegister, {
      callback: (_err, msg) => {
        const envelope = JSON.parse(codec.decode(msg.data)) as { id: string; data: unknown };
        const request = validateContract(NodeRegisterRequest, envelope.data);
        if (refuseRegistrations > 0) {
          refuseRegistrations--;
          msg.respond(codec.encode(JSON.stringify({ id: envelope.id, err: { code: 'UNAVAILABLE', message: 'not yet' } })));
          return;
        }
        registrations.push(request);
        msg.respond(codec.encode(JSON.stringify({ id: envelope.id, response: { nodeId: request.nodeId, registeredAt: new Date().toISOString(), firstSeen: true } })));
      },
    });
    // (the thousand-node test counts its own, without validating each)
    const small = (data: Uint8Array) => !codec.decode(data).includes('"nodeId":"big-');
    nc.subscribe(Subjects.heartbeatEvent, { callback: (_err, msg) => small(msg.data) && heartbeats.push(validateContract(NodeHeartbeatEvent, decode(msg.data))) });
    nc.subscribe(Subjects.taskStateEvent, { callback: (_err, msg) => small(msg.data) && events.push(validateContract(TaskStatus, decode(msg.data))) });
    await nc.flush();
  });

  afterEach(async () => {
    while (sims.length) await sims.pop()!.stop();
  });

  afterAll(async () => {
    await nc?.drain();
    await nats?.stop();
  });

  it('registers every node, retrying until the scheduler answers', async () => {
    refuseRegistrations = 5;
    const c = await sim({ natsUrl: nats.url, nodes: 5, nodeIdPrefix: 'reg', zones: ['eu', 'us'], labels: { tier: 'web' }, cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3, registerRetryMinMs: 50 });
    await c.waitForRegistration(10_000);
    const mine = registrations.filter((r) => r.nodeId.startsWith('reg-'));
    expect(new Set(mine.map((r) => r.nodeId))).toEqual(new Set(['reg-0000', 'reg-0001', 'reg-0002', 'reg-0003', 'reg-0004']));
    const first = mine.find((r) => r.nodeId === 'reg-0001')!;
    expect(first.capacity).toEqual({ cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3 });
    expect(first.labels).toEqual({ tier: 'web', zone: 'us' });
    expect(first.platform).toEqual({ os: 'linux', arch: 'amd64' });
    expect(c.counts().registrationFailures).toBeGreaterThanOrEqual(5);
    expect(c.counts().registered).toBe(5);
  });

  it('heartbeats every interval with capacity, allocatable after its tasks, labels, images and tasks', async () => {
    await sim({ natsUrl: nats.url, nodes: 3, nodeIdPrefix: 'hb', heartbeatIntervalMs: 100, zones: ['a'], cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3, pids: 1000, preloadedImages: ['library/base:1'] });
    const since = Date.now();
    await setTasks('hb-0001', [task('t1', { resources: { cpuMillis: 500, memoryBytes: 1024 ** 3, pids: 100 } }), task('t2', { image: 'library/base:1' })]);
    await waitFor(() => eventsOf('hb-0001').filter((e) => e.endsWith(':running')).length === 2, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    const mine = heartbeats.filter((h) => h.nodeId === 'hb-0001' && Date.parse(h.at) >= since);
    // ~10 a second; a loaded machine may lose a few
    expect(mine.length).toBeGreaterThanOrEqual(3);
    const seqs = mine.map((h) => h.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const last = mine.at(-1)!;
    expect(last.capacity).toEqual({ cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3, pids: 1000 });
    // t2's default resources (500m, 256Mi) and t1's limits
    expect(last.allocatable).toEqual({ cpuMillis: 1000, memoryBytes: 4 * 1024 ** 3 - 1024 ** 3 - 256 * 1024 ** 2, pids: 900 });
    expect(last.labels).toEqual({ zone: 'a' });
    expect(last.images.map((i) => i.reference).sort()).toEqual(['library/app:1', 'library/base:1']);
    expect(last.images[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(last.tasks).toEqual(expect.arrayContaining([{ taskId: 't1', state: 'running' }, { taskId: 't2', state: 'running' }]));
    expect(last.generation).toBe(generation);
    // the other nodes heartbeat too, with nothing on them
    const other = heartbeats.filter((h) => h.nodeId === 'hb-0002').at(-1)!;
    expect(other.tasks).toEqual([]);
    expect(other.allocatable).toEqual(other.capacity);
  });

  it('reconciles desired sets: start, same set twice, changed spec, removal, older generation, bad set', async () => {
    await sim({ natsUrl: nats.url, nodes: 2, nodeIdPrefix: 'rec', pullDelayMs: 30, startDelayMs: 30, stopDelayMs: 30 });
    const node = 'rec-0000';
    const g1 = ++generation;
    const reply = await setTasks(node, [task('a'), task('b')], g1);
    expect(reply).toMatchObject({ generation: g1, applied: true });
    expect(reply.tasks.map((t) => t.taskId).sort()).toEqual(['a', 'b']);
    await waitFor(() => eventsOf(node).filter((e) => e.endsWith(':running')).length === 2, { timeoutMs: 5000 });
    // a pulls (no image yet), then starts, then runs; b pulled the same image concurrently
    expect(eventsOf(node, 'a')).toEqual(['a:pulling', 'a:starting', 'a:running']);
    const running = events.find((e) => e.nodeId === node && e.taskId === 'a' && e.state === 'running')!;
    expect(running.startedAt).toBeDefined();
    expect(running.restarts).toBe(0);

    // the same set again: nothing happens
    const before = eventsOf(node).length;
    await setTasks(node, [task('a'), task('b')]);
    await new Promise((r) => setTimeout(r, 200));
    expect(eventsOf(node).length).toBe(before);

    // b's spec changes (replaced: stopped, removed, started again — no pull, the image is there); a leaves
    await setTasks(node, [task('b', { env: { V: '2' } }), task('c')]);
    await waitFor(() => eventsOf(node, 'b').filter((e) => e.endsWith(':running')).length === 2 && eventsOf(node, 'c').includes('c:running') && eventsOf(node, 'a').includes('a:removed'), {
      timeoutMs: 5000,
    });
    expect(eventsOf(node, 'a').slice(3)).toEqual(['a:stopping', 'a:removed']);
    expect(eventsOf(node, 'b').slice(3)).toEqual(['b:stopping', 'b:removed', 'b:starting', 'b:running']);
    expect(eventsOf(node, 'c')).toEqual(['c:starting', 'c:running']);

    const list = await natsRequest(nc, Subjects.agentTasksList(node), {}, AgentTaskListReply, 2000);
    expect(list.tasks.map((t) => `${t.taskId}:${t.state}`).sort()).toEqual(['b:running', 'c:running']);

    // an older generation is ignored
    const stale = await setTasks(node, [], g1);
    expect(stale.applied).toBe(false);
    expect(stale.tasks).toHaveLength(2);

    // an invalid set is refused with the contract's problems, and changes nothing
    await expect(natsRequest(nc, Subjects.agentTasksSet(node), { generation: ++generation, tasks: [{ taskId: 'BAD ID', image: '' }] }, AgentTaskSetReply, 2000)).rejects.toThrow(/VALIDATION_FAILED/);
    expect((await natsRequest(nc, Subjects.agentTasksList(node), {}, AgentTaskListReply, 2000)).tasks).toHaveLength(2);

    // the health query answers like an agent's
    const health = await natsRequest(nc, Subjects.agentHealth(node), {}, HealthReply, 2000);
    expect(health).toMatchObject({ service: 'node-agent', instance: node, status: 'pass' });

    // everything goes
    await setTasks(node, []);
    await waitFor(async () => (await natsRequest(nc, Subjects.agentTasksList(node), {}, AgentTaskListReply, 2000)).tasks.length === 0, { timeoutMs: 5000 });
  });

  it('kill: no heartbeats, no answers, transitions frozen; revive: re-registers and comes back with its tasks', async () => {
    const c = await sim({ natsUrl: nats.url, nodes: 3, nodeIdPrefix: 'kil', heartbeatIntervalMs: 100, pullDelayMs: 10, startDelayMs: 400, stopDelayMs: 10, jitter: 0 });
    await c.waitForRegistration(5000);
    await setTasks('kil-0001', [task('x'), task('y')]);
    await waitFor(() => eventsOf('kil-0001').filter((e) => e.endsWith(':starting')).length === 2, { timeoutMs: 5000 });
    await c.kill('kil-0001');
    const killedAt = Date.now();
    const registrationsBefore = registrations.filter((r) => r.nodeId === 'kil-0001').length;
    await expect(setTasks('kil-0001', [], ++generation, 300)).rejects.toThrow(/timeout/i);
    await new Promise((r) => setTimeout(r, 600));
    expect(heartbeats.filter((h) => h.nodeId === 'kil-0001' && Date.parse(h.at) > killedAt + 50)).toHaveLength(0);
    expect(heartbeats.filter((h) => h.nodeId === 'kil-0002' && Date.parse(h.at) > killedAt + 50).length).toBeGreaterThan(3);
    // frozen in `starting`: the 400 ms start did not finish while it was dead
    expect(eventsOf('kil-0001').filter((e) => e.endsWith(':running'))).toHaveLength(0);
    expect(c.counts()).toMatchObject({ alive: 2, killed: 1 });

    await c.revive('kil-0001');
    const revivedAt = Date.now();
    await waitFor(() => registrations.filter((r) => r.nodeId === 'kil-0001').length > registrationsBefore, { timeoutMs: 3000, description: 're-registration' });
    const beat = await waitFor(() => heartbeats.find((h) => h.nodeId === 'kil-0001' && Date.parse(h.at) >= revivedAt), { timeoutMs: 3000 });
    expect(beat.tasks.map((t) => t.taskId).sort()).toEqual(['x', 'y']);
    await waitFor(() => eventsOf('kil-0001').filter((e) => e.endsWith(':running')).length === 2, { timeoutMs: 3000 });
    // and it answers again; the scheduler's next set removes what was replaced meanwhile
    await setTasks('kil-0001', [task('y')]);
    await waitFor(() => eventsOf('kil-0001', 'x').includes('x:removed'), { timeoutMs: 3000 });
  });

  it('per-node subscriptions: a killed node has no responders at all', async () => {
    const c = await sim({ natsUrl: nats.url, nodes: 2, nodeIdPrefix: 'pn', subscriptions: 'per-node' });
    await setTasks('pn-0000', [task('p')]);
    await c.kill('pn-0000');
    const t0 = Date.now();
    await expect(setTasks('pn-0000', [], ++generation, 2000)).rejects.toThrow(/503|no responders/i);
    expect(Date.now() - t0).toBeLessThan(1000);
    await c.revive('pn-0000');
    await waitFor(async () => (await setTasks('pn-0000', [task('p')], ++generation, 500)).applied, { timeoutMs: 3000 });
  });

  it('a thousand nodes register, heartbeat and take ten tasks each', async () => {
    const beating = new Map<string, number>();
    const counter = await connect({ servers: nats.url });
    counter.subscribe(Subjects.heartbeatEvent, {
      callback: (_err, msg) => {
        const id = /"nodeId":"(big-\d+)"/.exec(codec.decode(msg.data))?.[1];
        if (id) beating.set(id, Date.now());
      },
    });
    await counter.flush();
    const c = await sim({ natsUrl: nats.url, nodes: 1000, nodeIdPrefix: 'big', zones: ['z1', 'z2', 'z3'], heartbeatIntervalMs: 1000, preloadedImages: ['library/app:1'] });
    await c.waitForRegistration(20_000);
    await Promise.all(c.nodes.map((n) => setTasks(n.id, Array.from({ length: 10 }, (_, i) => task(`${n.id}-t${i}`)), ++generation, 10_000)));
    await waitFor(() => c.counts().tasks.running === 10_000, { timeoutMs: 20_000, description: `10,000 running (${JSON.stringify(c.counts().tasks)})` });
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    await counter.drain();
    expect([...beating.values()].filter((at) => at >= since).length).toBeGreaterThan(950);
    expect(c.counts()).toMatchObject({ nodes: 1000, alive: 1000, registered: 1000, totalTasks: 10_000 });
  }, 60_000);
});
