import { Logger } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import { NatsServerHandle, startNatsServer, waitFor } from '@silo/testing';
import { LeadershipService } from './leadership.service';

const quiet = { log() {}, warn() {}, error() {} };

describe('LeadershipService', () => {
  let nats: NatsServerHandle;
  const lines: string[] = [];

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => void lines.push(String(m)));
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void lines.push(String(m)));
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await nats?.stop();
  });

  it('starts when NATS is ready, logs transitions and hands over at shutdown', async () => {
    const connections = ['one', 'two'].map((name) => new NatsConnectionService({ url: nats.url, name, logger: quiet }));
    const [one, two] = connections.map((c, i) => new LeadershipService(c, `host:${i + 1}`, { bucket: 'svc-test' }));
    try {
      one.onApplicationBootstrap(); // connects on its own
      await waitFor(() => one.isLeader(), { description: 'one leads' });
      two.onApplicationBootstrap();
      await waitFor(() => two.currentLeader() === 'host:1', { description: 'two sees one' });
      expect(lines).toContain(`leading (term ${one.term})`);
      expect(lines).toContain(`standing by; leader is host:1 (term ${one.term})`);
      const term = one.term!;

      await one.beforeApplicationShutdown();
      await one.onApplicationShutdown(); // idempotent
      expect(one.isLeader()).toBe(false);
      expect(lines).toContain('released the scheduler lease');
      await waitFor(() => two.isLeader(), { timeoutMs: 2000, description: 'two takes over' });
      expect(two.term!).toBeGreaterThan(term);
      expect(lines).toContain(`leading (term ${two.term})`);
    } finally {
      await one.stop();
      await two.stop();
      for (const c of connections) await c.close();
    }
  });
});
