/**
 * The scheduler's live views and events for the api, with real parts: a real nats-server
 * (JetStream, so leadership goes through the KV lease), the real scheduler module on real SQLite,
 * and two simulated agents that speak the agents' protocol (registration with the local join
 * token, desired sets, task-state events, heartbeats that a test can stop).
 */
import {
  HealthReply,
  NodeStatusReply,
  NodeView,
  ServiceListReply,
  ServiceRemoveReply,
  ServiceReply,
  ServiceTasksReply,
  ServiceView,
  Subjects,
  TaskListReply,
} from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from 'nats';
import { SchedulerConfig } from '../config/scheduler.config';
import { SchedulerModule } from '../scheduler.module';
import { SimulatedAgent } from '../testing/simulated-agent';
import { NodeStateEvent, ServiceChangedEvent, validateContract } from '@silo/contracts';

const quiet = { log() {}, warn() {}, error() {} };
const MiB = 2 ** 20;
const decoder = new TextDecoder();
const image = 'team/app:v1';

describe('scheduler views and events for the api (real NATS, real SQLite, simulated agents)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let scheduler: RunningService | undefined;
  let connection: NatsConnectionService;
  let client: NatsClient;
  const agents: SimulatedAgent[] = [];
  let a: SimulatedAgent;
  let b: SimulatedAgent;
  const serviceEvents: ServiceChangedEvent[] = [];
  const nodeEvents: NodeStateEvent[] = [];
  const subscriptions: Subscription[] = [];
  let joinToken: string;
  const capacity = { cpuMillis: 4000, memoryBytes: 4096 * MiB, pids: 32768 };

  const request = <R extends object>(subject: string, data: object, reply: new () => R): Promise<R> => client.request(subject, data, { reply, timeoutMs: 5000 });
  const failure = (subject: string, data: object, reply: new () => object): Promise<unknown> => request(subject, data, reply).then(() => undefined, (e: unknown) => e);
  const get = async (name: string): Promise<ServiceView> => (await request(Subjects.serviceGet, { name }, ServiceReply)).service;
  const nodes = async (): Promise<NodeView[]> => (await request(Subjects.nodeStatus, {}, NodeStatusReply)).nodes;
  const node = async (nodeId: string): Promise<NodeView> => {
    const reply = await request(Subjects.nodeStatus, { nodeId }, NodeStatusReply);
    expect(reply.nodes).toHaveLength(1);
    return reply.nodes[0]!;
  };
  const tasks = async (filter: object = {}) => (await request(Subjects.taskList, filter, TaskListReply)).tasks;

  const replica = (): Promise<RunningService> =>
    bootstrapService({
      service: 'scheduler',
      configClass: SchedulerConfig,
      module: (config) => SchedulerModule.forRoot(config),
      env: { SILO_HOME: home.path, SILO_NATS_URL: nats.url, SILO_LOG_LEVEL: 'error', SILO_NODE_DOWN_AFTER_MS: '1500' },
    });

  const start = async (): Promise<void> => {
    scheduler = await replica();
    await waitFor(() => request(Subjects.health('scheduler'), {}, HealthReply), { description: 'scheduler health' });
    // Leading (through the lease): the views answer only then.
    await waitFor(() => request(Subjects.serviceList, {}, ServiceListReply), { timeoutMs: 20_000, description: 'a leading scheduler' });
  };

  const listen = <T>(subject: string, into: T[]): void => {
    const nc = connection.require();
    subscriptions.push(nc.subscribe(subject, { callback: (_e, msg) => into.push((JSON.parse(decoder.decode(msg.data)) as { data: T }).data) }));
  };

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    home = await makeTempDir('silo-sched-views-');
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    await connection.ready();
    client = new NatsClient(connection, 5000);
    listen(Subjects.serviceEvent, serviceEvents);
    listen(Subjects.nodeStateEvent, nodeEvents);
    await start();
    const tokenFile = join(home.path, 'scheduler', 'local-join-token');
    joinToken = await waitFor(() => readFileSync(tokenFile, 'utf8').trim(), { description: 'the local join token' });
    a = new SimulatedAgent(connection, { nodeId: 'sim-a', hostname: 'host-a', arch: 'arm64', agentVersion: '9.8.7', capacity, labels: { zone: 'eu' } });
    b = new SimulatedAgent(connection, { nodeId: 'sim-b', hostname: 'host-b', agentVersion: '9.8.7', capacity, labels: { zone: 'us' } });
    agents.push(a, b);
    for (const agent of agents) await agent.join(joinToken);
  }, 60_000);

  afterEach(() => {
    // a failed test must not leave a node silent for the next ones
    for (const agent of agents) agent.startHeartbeats();
  });

  afterAll(async () => {
    for (const agent of agents) agent.close();
    for (const s of subscriptions) s.unsubscribe();
    await scheduler?.stop();
    await connection?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  it('shows every node ready with its registration facts, and what placement put on it as allocated', async () => {
    await waitFor(async () => (await nodes()).every((n) => n.state === 'ready') && (await nodes()).length === 2, { description: 'two ready nodes' });
    const created = await request(
      Subjects.serviceCreate,
      { spec: { name: 'web', team: 'alpha', replicas: 4, image, resources: { cpuRequestMillis: 250, cpuLimitMillis: 1000, memoryRequestBytes: 64 * MiB, pids: 50 } } },
      ServiceReply,
    );
    expect(created.service.spec.team).toBe('alpha');
    await waitFor(async () => (await get('web')).running === 4, { description: 'web running 4' });

    const views = await nodes();
    expect(views.map((n) => n.nodeId)).toEqual(['sim-a', 'sim-b']);
    let total = 0;
    for (const view of views) {
      const onNode = await tasks({ nodeId: view.nodeId });
      // spread over both nodes
      expect(onNode.length).toBeGreaterThan(0);
      expect(view).toMatchObject({
        state: 'ready',
        availability: 'active',
        agentVersion: '9.8.7',
        capacity: { cpuMillis: 4000, memoryBytes: 4096 * MiB, pids: 32768 },
        allocatable: { cpuMillis: 4000, memoryBytes: 4096 * MiB, pids: 32768 },
        allocated: { cpuMillis: 250 * onNode.length, memoryBytes: 64 * MiB * onNode.length, pids: 50 * onNode.length },
        tasks: onNode.length,
        runningTasks: onNode.length,
      });
      expect(Date.now() - Date.parse(view.lastHeartbeatAt!)).toBeLessThan(3000);
      total += view.tasks;
    }
    expect(total).toBe(4);
    expect(await node('sim-a')).toMatchObject({ hostname: 'host-a', platform: { os: 'linux', arch: 'arm64' }, labels: { zone: 'eu' } });
    expect(await node('sim-b')).toMatchObject({ hostname: 'host-b', platform: { os: 'linux', arch: 'amd64' }, labels: { zone: 'us' } });
    expect(await failure(Subjects.nodeStatus, { nodeId: 'sim-zz' }, NodeStatusReply)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('sim-zz') });
  });

  it('lists the cluster\'s tasks as service.tasks shows them, with service and team; filters by service, node and task', async () => {
    await request(Subjects.serviceCreate, { spec: { name: 'api', replicas: 1, image } }, ServiceReply);
    await waitFor(async () => (await get('api')).running === 1, { description: 'api running' });

    const all = await tasks();
    expect(all).toHaveLength(5);
    expect(all.map((t) => t.service)).toEqual(['api', 'web', 'web', 'web', 'web']);
    const web = await tasks({ service: 'web' });
    const { tasks: serviceTasks } = await request(Subjects.serviceTasks, { name: 'web' }, ServiceTasksReply);
    expect(web).toEqual(serviceTasks.map((t) => ({ ...t, service: 'web', team: 'alpha' })));
    const [apiTask, ...none] = await tasks({ service: 'api' });
    expect(none).toEqual([]);
    expect(apiTask).toMatchObject({ service: 'api', state: 'running', desiredState: 'running' });
    expect(apiTask!.team).toBeUndefined();
    expect(await tasks({ service: 'nope' })).toEqual([]);

    const onA = await tasks({ nodeId: 'sim-a' });
    const onB = await tasks({ nodeId: 'sim-b' });
    expect(onA.every((t) => t.nodeId === 'sim-a') && onB.every((t) => t.nodeId === 'sim-b')).toBe(true);
    expect(onA.length + onB.length).toBe(5);
    expect(new Set([...a.tasks.keys()])).toEqual(new Set(onA.map((t) => t.taskId)));
    expect((await node('sim-a')).tasks).toBe(onA.length);

    expect(await tasks({ taskId: apiTask!.taskId })).toEqual([apiTask]);
    expect(await tasks({ taskId: apiTask!.taskId, service: 'web' })).toEqual([]);
    expect(await failure(Subjects.taskList, { taskId: 'web.9.00000000' }, TaskListReply)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(Subjects.taskList, { service: 'Not A Name!'.repeat(10) }, TaskListReply)).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('broadcasts service events for create, scale and remove, with action, team, desired and running', async () => {
    await request(Subjects.serviceScale, { name: 'web', replicas: 2 }, ServiceReply);
    await request(Subjects.serviceRemove, { name: 'api' }, ServiceRemoveReply);
    await waitFor(() => serviceEvents.some((e) => e.action === 'removed'), { description: 'the removed event' });
    const mine = serviceEvents.filter((e) => e.action !== 'rollout');
    // `running` is what ran when the command was applied (the reconciler may already be at work)
    const running = expect.any(Number) as number;
    expect(mine).toEqual([
      { action: 'created', name: 'web', version: 1, rollout: 'completed', team: 'alpha', desired: 4, running },
      { action: 'created', name: 'api', version: 1, rollout: 'completed', desired: 1, running },
      { action: 'scaled', name: 'web', version: 1, rollout: 'completed', team: 'alpha', desired: 2, running },
      { action: 'removed', name: 'api', version: 1, rollout: 'completed', desired: 0, running },
    ]);
    // every event the scheduler broadcasts keeps its contract (the api drops those that do not)
    for (const event of serviceEvents) expect(() => validateContract(ServiceChangedEvent, event)).not.toThrow();
    expect(mine[2]!.running).toBeLessThanOrEqual(4);
    expect(mine[2]!.running).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (await tasks()).filter((t) => t.desiredState === 'running').length === 2, { description: 'web at 2, api gone' });
    expect((await tasks()).every((t) => t.service === 'web')).toBe(true);
  });

  it('keeps the team through an update without one, a rollback and a restart (stored with the spec)', async () => {
    serviceEvents.length = 0;
    const spec = { name: 'web', replicas: 2, image, command: ['/bin/sleep', '2000'], resources: { cpuRequestMillis: 100 }, updateConfig: { monitorMs: 100 } };
    const updated = await request(Subjects.serviceUpdate, { name: 'web', spec }, ServiceReply);
    expect(updated.service).toMatchObject({ version: 2, spec: { team: 'alpha', command: ['/bin/sleep', '2000'] } });
    await waitFor(async () => (await get('web')).rollout === 'completed', { description: 'the update rolled out' });
    const moved = await request(Subjects.serviceUpdate, { name: 'web', spec: { ...spec, team: 'beta' } }, ServiceReply);
    expect(moved.service).toMatchObject({ version: 3, spec: { team: 'beta' } });
    await waitFor(async () => (await get('web')).rollout === 'completed', { description: 'the second update rolled out' });
    // back to version 2's containers; the owner stays the current one
    const rolledBack = await request(Subjects.serviceRollback, { name: 'web' }, ServiceReply);
    expect(rolledBack.service).toMatchObject({ version: 4, rollout: 'rolling-back', spec: { team: 'beta', command: ['/bin/sleep', '2000'] } });
    await waitFor(async () => (await get('web')).rollout === 'rolled-back', { description: 'rolled back' });
    await waitFor(() => serviceEvents.some((e) => e.action === 'rollout' && e.rollout === 'rolled-back'), { description: 'the rollout event' });
    expect(serviceEvents.filter((e) => e.action !== 'rollout').map((e) => [e.action, e.version, e.team])).toEqual([
      ['updated', 2, 'alpha'],
      ['updated', 3, 'beta'],
      ['rolled-back', 4, 'beta'],
    ]);
    expect(serviceEvents.filter((e) => e.action === 'rollout').at(-1)).toMatchObject({ name: 'web', version: 4, team: 'beta', desired: 2 });

    await scheduler!.stop();
    scheduler = undefined;
    await start();
    const reloaded = await get('web');
    expect(reloaded).toMatchObject({ version: 4, spec: { team: 'beta' } });
    expect((await request(Subjects.serviceList, {}, ServiceListReply)).services.map((s) => [s.name, s.spec.team])).toEqual([['web', 'beta']]);
    expect((await tasks({ service: 'web' })).every((t) => t.team === 'beta')).toBe(true);
    await waitFor(async () => (await get('web')).running === 2, { description: 'web running under the restarted scheduler' });
  }, 60_000);

  it('shows a node whose heartbeats stop as down (and says so, with its hostname); back to ready when they resume', async () => {
    await waitFor(async () => (await nodes()).every((n) => n.state === 'ready'), { description: 'both nodes ready' });
    // A settled cluster: no task of the rollback still being retired (a task being stopped when its
    // node goes silent stays as it was, not lost, until the node is back).
    await waitFor(async () => (await tasks()).every((t) => t.desiredState === 'running' && t.state === 'running'), { description: 'every task running, none retiring' });
    nodeEvents.length = 0;
    b.stopHeartbeats();
    await waitFor(async () => (await node('sim-b')).state === 'down', { timeoutMs: 10_000, description: 'sim-b down' });
    await waitFor(() => nodeEvents.length > 0, { description: 'the node event' });
    expect(nodeEvents).toEqual([{ nodeId: 'sim-b', hostname: 'host-b', state: 'down' }]);
    expect(() => validateContract(NodeStateEvent, nodeEvents[0])).not.toThrow();
    // its tasks were lost and placed on sim-a: nothing is allocated on sim-b any more
    await waitFor(async () => (await get('web')).running === 2, { description: 'web running on sim-a' });
    expect(await node('sim-b')).toMatchObject({ state: 'down', tasks: 0, runningTasks: 0, allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 } });
    expect(await node('sim-a')).toMatchObject({ state: 'ready', tasks: 2, allocated: { cpuMillis: 200 } });

    b.startHeartbeats();
    await waitFor(async () => (await node('sim-b')).state === 'ready', { description: 'sim-b ready again' });
    await waitFor(() => nodeEvents.length > 1, { description: 'the second node event' });
    expect(nodeEvents).toEqual([
      { nodeId: 'sim-b', hostname: 'host-b', state: 'down' },
      { nodeId: 'sim-b', hostname: 'host-b', state: 'ready' },
    ]);
  }, 30_000);

  it('with a standby replica: nodes that registered through either replica are in the view, queries reach the leader, events are not repeated', async () => {
    // Same database, same NATS: it stands by while the first holds the lease, and serves the
    // queue group's share of the requests (registrations included) all the same.
    const standby = await replica();
    try {
      const more = Array.from({ length: 6 }, (_, i) => new SimulatedAgent(connection, { nodeId: `sim-c${i}`, hostname: `host-c${i}`, capacity }));
      agents.push(...more);
      for (const agent of more) await agent.join(joinToken);
      await waitFor(
        async () => {
          const views = await nodes();
          return views.length === 8 && views.every((n) => n.state === 'ready');
        },
        { timeoutMs: 10_000, description: 'eight ready nodes' },
      );
      // whichever replica a query reaches, the leader answers it
      for (let i = 0; i < 10; i++) expect((await nodes()).map((n) => n.state)).toEqual(Array(8).fill('ready'));
      serviceEvents.length = 0;
      await request(Subjects.serviceCreate, { spec: { name: 'wide', team: 'alpha', replicas: 8, image, maxReplicasPerNode: 1 } }, ServiceReply);
      await waitFor(async () => (await get('wide')).running === 8, { timeoutMs: 15_000, description: 'wide running on 8 nodes' });
      expect(new Set((await tasks({ service: 'wide' })).map((t) => t.nodeId)).size).toBe(8);
      await request(Subjects.serviceRemove, { name: 'wide' }, ServiceRemoveReply);
      await waitFor(() => serviceEvents.some((e) => e.action === 'removed'), { description: 'the removed event' });
      expect(serviceEvents.filter((e) => e.action !== 'rollout').map((e) => [e.action, e.name])).toEqual([
        ['created', 'wide'],
        ['removed', 'wide'],
      ]);
    } finally {
      await standby.stop();
    }
  }, 60_000);
});
