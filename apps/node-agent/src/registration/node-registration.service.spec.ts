import { NodeRegisterRequest } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import type { NatsClient, NatsConnectionService } from '@silo/messaging';
import { ServiceIdentity } from '@silo/service-kit';
import { makeTempDir, TempDir, waitFor } from '@silo/testing';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeAgentConfig } from '../config/node-agent.config';
import type { HostInfo } from '../host/host-info';
import { NodeRegistrationService } from './node-registration.service';

const TOKEN = `SILO-JOIN-${'a'.repeat(12)}-${'b'.repeat(40)}`;

describe('NodeRegistrationService: join tokens', () => {
  let home: TempDir;
  let service: NodeRegistrationService | undefined;
  const sent: NodeRegisterRequest[] = [];
  const host = {
    facts: () => ({ hostname: 'h', os: 'linux', arch: 'amd64', kernel: '6.1', cgroupMode: 'v2', cpuMillis: 1000, memoryBytes: 1e9 }),
  } as unknown as HostInfo;
  const connection = { ready: async () => undefined } as unknown as NatsConnectionService;
  /** A scheduler that admits only TOKEN. */
  const nats = {
    request: async (_subject: string, request: NodeRegisterRequest) => {
      sent.push(request);
      if (request.joinToken !== TOKEN) throw new SiloError('UNAUTHORIZED', 'node node-x presented an invalid join token');
      return { nodeId: request.nodeId, registeredAt: new Date().toISOString(), firstSeen: true };
    },
  } as unknown as NatsClient;

  const start = (env: Partial<NodeAgentConfig>) => {
    const config = Object.assign(new NodeAgentConfig(), { home: home.path, ...env });
    service = new NodeRegistrationService(nats, connection, host, config, new ServiceIdentity('node-agent', '0.1.0', 'node-x'), {
      refreshMs: 60_000,
      retryMinMs: 20,
      retryMaxMs: 60_000,
    });
    service.onApplicationBootstrap();
    return service;
  };

  beforeEach(async () => {
    home = await makeTempDir();
    sent.length = 0;
  });

  afterEach(async () => {
    service?.onApplicationShutdown();
    await home.cleanup();
  });

  it('sends SILO_JOIN_TOKEN when it is set', async () => {
    const agent = start({ joinToken: ` ${TOKEN}\n` });
    await waitFor(() => agent.isRegistered(), { description: 'registered' });
    expect(sent.map((r) => r.joinToken)).toEqual([TOKEN]);
  });

  it('reads the local token file at each attempt: refused without it, registers as soon as it appears', async () => {
    const agent = start({});
    await waitFor(() => sent.length >= 1, { description: 'a first attempt' });
    expect(sent[0]!.joinToken).toBeUndefined();
    expect(agent.isRegistered()).toBe(false);
    mkdirSync(join(home.path, 'scheduler'), { recursive: true });
    writeFileSync(join(home.path, 'scheduler', 'local-join-token'), `${TOKEN}\n`);
    // retryMaxMs is a minute: only the token change can have triggered the retry
    await waitFor(() => agent.isRegistered(), { timeoutMs: 5000, description: 'registered with the new file' });
    expect(sent.at(-1)!.joinToken).toBe(TOKEN);
    expect(sent).toHaveLength(2);
  });

  it('uses SILO_JOIN_TOKEN_FILE when given', async () => {
    const file = join(home.path, 'token');
    writeFileSync(file, TOKEN);
    const agent = start({ joinTokenFile: file });
    await waitFor(() => agent.isRegistered(), { description: 'registered' });
  });
});
