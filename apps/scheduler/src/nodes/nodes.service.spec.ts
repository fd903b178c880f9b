import { NodeEvents } from './node-events';
import type { NodeRegisterRequest } from '@silo/contracts';
import type { NatsClient } from '@silo/messaging';
import type { Clock } from '@silo/service-kit';
import { SiloError } from '@silo/domain';
import type { JoinTokensService } from '../join-tokens/join-tokens.service';
import { NodeEntity } from './node.entity';
import { NodeRepository } from './node.repository';
import { NodesService } from './nodes.service';

class MemoryNodes extends NodeRepository {
  readonly rows = new Map<string, NodeEntity>();
  async find(id: string) {
    return this.rows.get(id) ?? null;
  }
  async save(node: NodeEntity) {
    this.rows.set(node.nodeId, { ...node });
  }
  async list() {
    return [...this.rows.values()];
  }
}

const request = {
  nodeId: 'n-001',
  hostname: 'h',
  agentVersion: '0.1.0',
  platform: { os: 'linux', arch: 'arm64' },
  kernel: '6.1',
  cgroupMode: 'v2',
  capacity: { cpuMillis: 4000, memoryBytes: 8e9 },
  labels: {},
} as NodeRegisterRequest;

const admitAll = { admit: async () => undefined, recordNode: async () => undefined } as unknown as JoinTokensService;

describe('NodesService', () => {
  let now: Date;
  const clock = { now: () => now, monotonicMs: () => 0 } as Clock;
  const published: Array<[string, object]> = [];
  const nats = { publish: (s: string, p: object) => published.push([s, p]) } as unknown as NatsClient;

  beforeEach(() => {
    now = new Date('2026-01-01T00:00:00Z');
    published.length = 0;
  });

  it('keeps first-seen time on re-registration and updates the rest', async () => {
    const repo = new MemoryNodes();
    const service = new NodesService(repo, clock, nats, new NodeEvents(), admitAll);
    await service.register(request);
    now = new Date('2026-01-02T00:00:00Z');
    const reply = await service.register({ ...request, capacity: { cpuMillis: 8000, memoryBytes: 8e9 } } as NodeRegisterRequest);
    expect(reply).toEqual({ nodeId: 'n-001', registeredAt: '2026-01-02T00:00:00.000Z', firstSeen: false });
    const [summary] = (await service.list()).nodes;
    expect(summary).toMatchObject({
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastRegisteredAt: '2026-01-02T00:00:00.000Z',
      capacity: { cpuMillis: 8000 },
      platform: { arch: 'arm64' },
    });
    expect(published.map(([, p]) => p)).toEqual([
      { nodeId: 'n-001', hostname: 'h', firstSeen: true },
      { nodeId: 'n-001', hostname: 'h', firstSeen: false },
    ]);
  });

  it('stores nothing and emits nothing when the join token is refused', async () => {
    const repo = new MemoryNodes();
    const refuse = {
      admit: async () => {
        throw new SiloError('UNAUTHORIZED', 'node n-001 presented an invalid join token');
      },
    } as unknown as JoinTokensService;
    const service = new NodesService(repo, clock, nats, new NodeEvents(), refuse);
    await expect(service.register({ ...request, joinToken: 'bad' } as NodeRegisterRequest)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(repo.rows.size).toBe(0);
    expect(published).toEqual([]);
  });
});
