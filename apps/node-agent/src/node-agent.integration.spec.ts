import { HealthReply, NodeRegisterRequest, Subjects, validateContract } from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { bootstrapService, RunningService } from '@silo/service-kit';
import { makeTempDir, NatsServerHandle, startNatsServer, TempDir, waitFor } from '@silo/testing';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeAgentConfig } from './config/node-agent.config';
import { NodeAgentModule } from './node-agent.module';

const quiet = { log() {}, warn() {}, error() {} };
const decoder = new TextDecoder();
const encoder = new TextEncoder();

describe('node agent (real NATS)', () => {
  let nats: NatsServerHandle;
  let home: TempDir;
  let agent: RunningService;
  let connection: NatsConnectionService;
  let client: NatsClient;
  const registrations: NodeRegisterRequest[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    home = await makeTempDir();
    connection = new NatsConnectionService({ url: nats.url, name: 'test', logger: quiet });
    const nc = await connection.ready();
    client = new NatsClient(connection, 2000);
    // A stand-in for the scheduler: refuses the first registration, then accepts.
    let calls = 0;
    nc.subscribe(Subjects.nodeRegister, {
      callback: (_err, msg) => {
        const envelope = JSON.parse(decoder.decode(msg.data)) as { data: unknown; id: string };
        registrations.push(validateContract(NodeRegisterRequest, envelope.data));
        calls += 1;
        const reply =
          calls === 1
            ? { id: envelope.id, err: { code: 'UNAVAILABLE', message: 'scheduler warming up' } }
            : { id: envelope.id, response: { nodeId: registrations[0]!.nodeId, registeredAt: new Date().toISOString(), firstSeen: calls === 2 } };
        msg.respond(encoder.encode(JSON.stringify(reply)));
      },
    });
    await nc.flush();
    const runtime = join(home.path, 'fake-runtime');
    writeFileSync(runtime, '#!/bin/sh\necho "silo-runtime version 9.9.9"\n');
    chmodSync(runtime, 0o755);
    agent = await bootstrapService({
      service: 'node-agent',
      configClass: NodeAgentConfig,
      module: (config) => NodeAgentModule.forRoot(config, { refreshMs: 60_000, retryMinMs: 50, retryMaxMs: 100 }),
      queue: false,
      env: {
        SILO_HOME: home.path,
        SILO_NATS_URL: nats.url,
        SILO_LOG_LEVEL: 'fatal',
        SILO_NODE_ID: 'node-test-1',
        SILO_NODE_LABELS: 'zone=eu,disk=ssd',
        SILO_RUNTIME_PATH: runtime,
      },
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await connection?.close();
    await nats?.stop();
    await home?.cleanup();
  });

  it('registers with the scheduler, retrying until it is accepted, with real host facts', async () => {
    await waitFor(() => registrations.length >= 2, { description: 'a retried registration' });
    const request = registrations[1]!;
    expect(request).toMatchObject({ nodeId: 'node-test-1', labels: { zone: 'eu', disk: 'ssd' }, platform: { os: 'linux' } });
    expect(request.capacity.cpuMillis).toBeGreaterThanOrEqual(1000);
    expect(request.capacity.memoryBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(['v1', 'v2', 'hybrid', 'none']).toContain(request.cgroupMode);
  });

  it('answers the broadcast health request as its node, with the runtime check', async () => {
    const { replies } = await client.requestMany(Subjects.health('node-agent'), {}, { reply: HealthReply, timeoutMs: 500 });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ service: 'node-agent', instance: 'node-test-1', status: 'pass' });
    expect(replies[0]!.checks.find((c) => c.name === 'runtime')).toMatchObject({ status: 'pass', message: 'silo-runtime version 9.9.9' });
  });
});
