import { HealthReply, NodeListReply, NodeRegisterReply, Subjects } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerConfig } from './config/scheduler.config';
import { SchedulerModule } from './scheduler.module';

const node = {
  nodeId: 'node-a1',
  hostname: 'host-a',
  agentVersion: '0.1.0',
  platform: { os: 'linux', arch: 'amd64' },
  kernel: '6.1.0',
  cgroupMode: 'hybrid',
  capacity: { cpuMillis: 2000, memoryBytes: 2 * 1024 ** 3 },
  labels: { zone: 'eu' },
};

const quiet = { log() {}, warn() {}, error() {} };

describe('scheduler service (real NATS, real SQLite)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let scheduler: RunningService | undefined;
  let connection: NatsConnectionService;
  let client: NatsClient;

  const start = async () => {
    scheduler = await bootstrapService({
      service: 'scheduler',
      configClass: SchedulerConfig,
      module: (config) => SchedulerModule.forRoot(config),
      env: { SILO_HOME: home.path, SILO_NATS_URL: nats.url, SILO_LOG_LEVEL: 'error' },
    });
    await waitFor(() => client.request(Subjects.health('scheduler'), {}, { reply: HealthReply, timeoutMs: 500 }), {
      description: 'scheduler health',
    });
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir();
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    await connection.ready();
    client = new NatsClient(connection, 3000);
    await start();
  });

  afterAll(async () => {
    await scheduler?.stop();
    await connection?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  it('answers health with its database and NATS checks', async () => {
    const health = await client.request(Subjects.health('scheduler'), {}, { reply: HealthReply });
    expect(health).toMatchObject({ service: 'scheduler', status: 'pass' });
    expect(health.checks.map((c) => c.name).sort()).toEqual(['database', 'nats']);
    expect(existsSync(join(home.path, 'scheduler', 'scheduler.db'))).toBe(true);
  });

  it('answers a garbage health request with a structured validation error', async () => {
    await expect(client.request(Subjects.health('scheduler'), { bogus: true }, { reply: HealthReply })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('property bogus should not exist'),
    });
  });

  it('registers a node once, recognises it again, emits an event and lists it', async () => {
    const nc = connection.require();
    const events = nc.subscribe(Subjects.nodeRegisteredEvent, { max: 1 });
    const first = await client.request(Subjects.nodeRegister, node, { reply: NodeRegisterReply });
    expect(first).toMatchObject({ nodeId: 'node-a1', firstSeen: true });
    for await (const msg of events) {
      expect(JSON.parse(new TextDecoder().decode(msg.data))).toMatchObject({ data: { nodeId: 'node-a1', firstSeen: true } });
    }
    const again = await client.request(Subjects.nodeRegister, { ...node, labels: { zone: 'us' } }, { reply: NodeRegisterReply });
    expect(again.firstSeen).toBe(false);
    const { nodes } = await client.request(Subjects.nodeList, {}, { reply: NodeListReply });
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ nodeId: 'node-a1', labels: { zone: 'us' }, capacity: node.capacity });
  });

  it('rejects a bad registration listing every problem, and stores nothing', async () => {
    const bad = { ...node, nodeId: 'Bad Id', cgroupMode: 'v9', capacity: { cpuMillis: -1, memoryBytes: 1 } };
    const error = await client.request(Subjects.nodeRegister, bad, { reply: NodeRegisterReply }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const paths = ((error as { details: Array<{ path: string }> }).details ?? []).map((d) => d.path).sort();
    expect(paths).toEqual(['capacity.cpuMillis', 'cgroupMode', 'nodeId']);
    const { nodes } = await client.request(Subjects.nodeList, {}, { reply: NodeListReply });
    expect(nodes.map((n) => n.nodeId)).toEqual(['node-a1']);
  });

  it('keeps its nodes across a restart', async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await start();
    const { nodes } = await client.request(Subjects.nodeList, {}, { reply: NodeListReply });
    expect(nodes.map((n) => n.nodeId)).toEqual(['node-a1']);
  });
});
