import {
  HealthReply,
  JoinTokenCreateReply,
  JoinTokenListReply,
  JoinTokenRevokeReply,
  NodeListReply,
  NodeRegisterReply,
  Subjects,
} from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerConfig } from './config/scheduler.config';
import { SchedulerModule } from './scheduler.module';

const baseNode = {
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
  /** The node registers with the scheduler's local join token, as npm start's agent does. */
  let node: typeof baseNode & { joinToken: string };
  const localTokenFile = () => join(home.path, 'scheduler', 'local-join-token');

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
    await waitFor(() => existsSync(localTokenFile()), { description: 'the local join token file' });
    node = { ...baseNode, joinToken: readFileSync(localTokenFile(), 'utf8').trim() };
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

  it('keeps a local join token (mode 0600) that its own host\'s agent joins with', async () => {
    expect(statSync(localTokenFile()).mode & 0o777).toBe(0o600);
    expect(node.joinToken).toMatch(/^SILO-JOIN-[a-f0-9]{12}-[a-f0-9]{40}$/);
    const { tokens } = await client.request(Subjects.joinTokenList, {}, { reply: JoinTokenListReply });
    expect(tokens.find((t) => t.kind === 'local')).toMatchObject({ state: 'valid', nodeIds: ['node-a1'] });
  });

  it('refuses a new node without a token, with a bad one or a revoked one; admits it with a good one', async () => {
    const newcomer = { ...baseNode, nodeId: 'node-b2', hostname: 'host-b' };
    const refused = (payload: object) => client.request(Subjects.nodeRegister, payload, { reply: NodeRegisterReply }).catch((e: unknown) => e);
    expect(await refused(newcomer)).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('has no join token') });
    expect(await refused({ ...newcomer, joinToken: 'SILO-JOIN-000000000000-' + '0'.repeat(40) })).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('invalid join token') });
    const created = await client.request(Subjects.joinTokenCreate, { description: 'host b', ttlSeconds: 3600 }, { reply: JoinTokenCreateReply });
    expect(created).toMatchObject({ natsUrl: nats.url, joinToken: { description: 'host b', kind: 'admin', state: 'valid' } });
    const admitted = await client.request(Subjects.nodeRegister, { ...newcomer, joinToken: created.token }, { reply: NodeRegisterReply });
    expect(admitted).toMatchObject({ nodeId: 'node-b2', firstSeen: true });
    const listed = await client.request(Subjects.joinTokenList, {}, { reply: JoinTokenListReply });
    const row = listed.tokens.find((t) => t.id === created.joinToken.id);
    expect(row).toMatchObject({ nodeIds: ['node-b2'] });
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(-40));
    const revoked = await client.request(Subjects.joinTokenRevoke, { id: created.joinToken.id }, { reply: JoinTokenRevokeReply });
    expect(revoked).toMatchObject({ changed: true, joinToken: { state: 'revoked', nodeIds: ['node-b2'] } });
    // the node joined already: it stays listed, but it cannot register with that token any more
    expect(await refused({ ...newcomer, joinToken: created.token })).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('was revoked') });
    expect(await client.request(Subjects.joinTokenRevoke, { id: 'ffffffffffff' }, { reply: JoinTokenRevokeReply }).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await client.request(Subjects.joinTokenCreate, { ttlSeconds: 5 }, { reply: JoinTokenCreateReply }).catch((e: unknown) => e)).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('regenerates the local token when it is revoked', async () => {
    const { tokens } = await client.request(Subjects.joinTokenList, {}, { reply: JoinTokenListReply });
    const local = tokens.find((t) => t.kind === 'local' && t.state === 'valid')!;
    await client.request(Subjects.joinTokenRevoke, { id: local.id }, { reply: JoinTokenRevokeReply });
    const fresh = readFileSync(localTokenFile(), 'utf8').trim();
    expect(fresh).not.toBe(node.joinToken);
    await expect(client.request(Subjects.nodeRegister, node, { reply: NodeRegisterReply })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    node = { ...node, joinToken: fresh };
    await expect(client.request(Subjects.nodeRegister, node, { reply: NodeRegisterReply })).resolves.toMatchObject({ firstSeen: false });
  });

  it('rejects a bad registration listing every problem, and stores nothing', async () => {
    const bad = { ...node, nodeId: 'Bad Id', cgroupMode: 'v9', capacity: { cpuMillis: -1, memoryBytes: 1 } };
    const error = await client.request(Subjects.nodeRegister, bad, { reply: NodeRegisterReply }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const paths = ((error as { details: Array<{ path: string }> }).details ?? []).map((d) => d.path).sort();
    expect(paths).toEqual(['capacity.cpuMillis', 'cgroupMode', 'nodeId']);
    const { nodes } = await client.request(Subjects.nodeList, {}, { reply: NodeListReply });
    expect(nodes.map((n) => n.nodeId)).toEqual(['node-a1', 'node-b2']);
  });

  it('keeps its nodes across a restart', async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await start();
    const { nodes } = await client.request(Subjects.nodeList, {}, { reply: NodeListReply });
    expect(nodes.map((n) => n.nodeId)).toEqual(['node-a1', 'node-b2']);
    // the same local token across restarts
    expect(readFileSync(localTokenFile(), 'utf8').trim()).toBe(node.joinToken);
  });
});
