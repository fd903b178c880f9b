import { NatsConnectionService } from '@silo/messaging';
import { NatsServerHandle, startNatsServer, waitFor } from '@silo/testing';
import { connect as tcpConnect, createServer, Server, Socket } from 'node:net';
import { connect } from 'nats';
import { LeaderLease, LeaderLeaseSettings } from './leader-lease';

const quiet = { log() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measured figures, printed at the end. */
const measured: Record<string, number> = {};

interface Replica {
  name: string;
  lease: LeaderLease;
  connection: NatsConnectionService;
  /** Monotonic times of transitions. */
  changes: { leader: boolean; at: number; term?: number }[];
}

describe('LeaderLease on a real nats-server with JetStream', () => {
  let nats: NatsServerHandle;
  const replicas: Replica[] = [];
  let bucketNo = 0;
  let bucket: string;

  async function replica(name: string, settings: LeaderLeaseSettings = {}, url = nats.url): Promise<Replica> {
    const connection = new NatsConnectionService({ url, name, logger: quiet, retryMinMs: 50, retryMaxMs: 200, options: { reconnectTimeWait: 100 } });
    await connection.ready();
    const lease = new LeaderLease({ connection, identity: name, bucket, ...settings });
    const r: Replica = { name, lease, connection, changes: [] };
    lease.onChange((leader) => r.changes.push({ leader, at: performance.now(), term: lease.term }));
    replicas.push(r);
    return r;
  }

  const leaders = () => replicas.filter((r) => r.lease.isLeader());

  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
  });

  beforeEach(() => {
    bucket = `lease-test-${++bucketNo}`;
  });

  /** Stops every replica and closes its connection (before its server goes: nats.js keeps reconnecting otherwise). */
  async function closeReplicas(): Promise<void> {
    for (const r of replicas.splice(0)) {
      await r.lease.stop({ release: false });
      await r.connection.close();
    }
  }

  afterEach(closeReplicas);

  afterAll(async () => {
    await nats?.stop();
    // eslint-disable-next-line no-console
    console.log(`leader lease, measured (ms): ${JSON.stringify(measured)}`);
  });

  it('one replica leads, the other stands by and knows the leader', async () => {
    const a = await replica('a');
    a.lease.start();
    await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
    const b = await replica('b');
    b.lease.start();
    await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
    expect(b.lease.isLeader()).toBe(false);
    expect(b.lease.term).toBeUndefined();
    expect(a.lease.currentLeader()).toBe('a');
    expect(b.lease.leaderInfo()).toEqual({ identity: 'a', term: a.lease.term });
    // renewals keep it, the term stays
    const term = a.lease.term;
    await sleep(2500);
    expect(a.lease.isLeader()).toBe(true);
    expect(a.lease.term).toBe(term);
    expect(b.lease.isLeader()).toBe(false);
    expect(a.changes.map((c) => c.leader)).toEqual([true]);
  });

  it('a graceful stop hands over within about one renew interval, with a higher term', async () => {
    const a = await replica('a');
    a.lease.start();
    await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
    const b = await replica('b');
    b.lease.start();
    await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
    const termA = a.lease.term!;
    const stoppedAt = performance.now();
    await a.lease.stop();
    expect(a.lease.isLeader()).toBe(false);
    await waitFor(() => b.lease.isLeader(), { timeoutMs: 3000, description: 'b takes over' });
    const takeover = performance.now() - stoppedAt;
    measured.gracefulHandover = Math.round(takeover);
    expect(takeover).toBeLessThan(1500);
    expect(b.lease.term!).toBeGreaterThan(termA);
    expect(a.changes.map((c) => c.leader)).toEqual([true, false]);
  });

  it('a crashed leader (no release) is replaced within ttl + renew interval (< 5 s), with a higher term', async () => {
    const a = await replica('a');
    a.lease.start();
    await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
    const b = await replica('b');
    b.lease.start();
    await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
    const termA = a.lease.term!;
    const crashedAt = performance.now();
    await a.lease.stop({ release: false });
    await waitFor(() => b.lease.isLeader(), { timeoutMs: 6000, intervalMs: 20, description: 'b takes over' });
    const takeover = performance.now() - crashedAt;
    measured.crashTakeover = Math.round(takeover);
    expect(takeover).toBeLessThan(3000 + 1000 + 500);
    expect(b.lease.term!).toBeGreaterThan(termA);
  });

  it('a leader that loses NATS steps down within the ttl by itself', async () => {
    const server = await startNatsServer({ jetstream: true });
    let down = false;
    try {
      const a = await replica('a', {}, server.url);
      a.lease.start();
      await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
      const killedAt = performance.now();
      await server.kill();
      down = true;
      await waitFor(() => !a.lease.isLeader(), { timeoutMs: 5000, intervalMs: 20, description: 'a no longer leads' });
      const stepDown = performance.now() - killedAt;
      measured.stepDownWithoutNats = Math.round(stepDown);
      expect(stepDown).toBeLessThan(3000);
      // listeners hear it from the deadline timer (isLeader() checks the deadline itself, maybe a tick earlier)
      await waitFor(() => a.changes.at(-1)?.leader === false, { timeoutMs: 200, intervalMs: 5, description: 'listeners told' });
    } finally {
      // back first, so the connection can close cleanly (closing one that is still reconnecting leaves timers behind)
      if (down) await server.start();
      await closeReplicas();
      await server.stop();
    }
  });

  it('two replicas started at the same moment never both lead', async () => {
    const contenders = await Promise.all(['a', 'b', 'c'].map((n) => replica(n)));
    for (const r of contenders) r.lease.start();
    let overlaps = 0;
    let samples = 0;
    const until = performance.now() + 4000;
    let stoppedOne = false;
    while (performance.now() < until) {
      if (leaders().length > 1) overlaps++;
      samples++;
      // half way, the leader stops gracefully: the others race for the released lease
      if (!stoppedOne && performance.now() > until - 2000 && leaders().length === 1) {
        stoppedOne = true;
        void leaders()[0].lease.stop();
      }
      await sleep(5);
    }
    expect(samples).toBeGreaterThan(200);
    expect(overlaps).toBe(0);
    expect(leaders()).toHaveLength(1);
    expect(stoppedOne).toBe(true);
  });

  it('a partitioned leader steps down before the standby takes over (no overlap)', async () => {
    const proxy = await stallableProxy(nats.port);
    try {
      const a = await replica('a', {}, proxy.url);
      a.lease.start();
      await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
      const b = await replica('b');
      b.lease.start();
      await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
      proxy.stall(); // a's requests now hang: timeouts, no errors
      const stalledAt = performance.now();
      let overlaps = 0;
      let aDownAt = 0;
      while (!b.lease.isLeader() && performance.now() - stalledAt < 7000) {
        if (a.lease.isLeader() && b.lease.isLeader()) overlaps++;
        if (!aDownAt && !a.lease.isLeader()) aDownAt = performance.now();
        await sleep(5);
      }
      const bUpAt = performance.now();
      expect(b.lease.isLeader()).toBe(true);
      expect(overlaps).toBe(0);
      expect(aDownAt).toBeGreaterThan(0);
      measured.partitionStepDown = Math.round(aDownAt - stalledAt);
      measured.partitionTakeover = Math.round(bUpAt - stalledAt);
      measured.partitionGap = Math.round(bUpAt - aDownAt);
      expect(bUpAt - aDownAt).toBeGreaterThan(0);
      // the partition heals: a stays a standby and sees b
      proxy.resume();
      await waitFor(() => a.lease.currentLeader() === 'b', { timeoutMs: 10_000, description: 'a sees b' });
      expect(a.lease.isLeader()).toBe(false);
    } finally {
      await closeReplicas();
      await proxy.close();
    }
  });

  it('resumes leadership after a nats-server restart with its store kept', async () => {
    const server = await startNatsServer({ jetstream: true });
    try {
      const a = await replica('a', {}, server.url);
      a.lease.start();
      await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
      const b = await replica('b', {}, server.url);
      b.lease.start();
      await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
      const before = a.lease.term!;
      await server.kill();
      await sleep(3500); // longer than the ttl: the leader must have stepped down
      expect(leaders()).toHaveLength(0);
      await server.start();
      const restartedAt = performance.now();
      await waitFor(() => leaders().length === 1, { timeoutMs: 10_000, intervalMs: 20, description: 'a leader again' });
      measured.leaderAfterRestart = Math.round(performance.now() - restartedAt);
      const leader = leaders()[0];
      expect(leader.lease.term!).toBeGreaterThan(before);
      await sleep(1500);
      expect(leaders()).toEqual([leader]);
      const other = replicas.find((r) => r !== leader)!;
      expect(other.lease.currentLeader()).toBe(leader.name);
    } finally {
      await closeReplicas();
      await server.stop();
    }
  });

  it('a short nats-server restart (below the ttl) keeps the same leader and term', async () => {
    const server = await startNatsServer({ jetstream: true });
    try {
      const a = await replica('a', {}, server.url);
      a.lease.start();
      await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
      const b = await replica('b', {}, server.url);
      b.lease.start();
      await waitFor(() => b.lease.currentLeader() === 'a', { description: 'b sees a' });
      const term = a.lease.term;
      await server.kill();
      await server.start();
      await sleep(3000);
      expect(leaders()).toHaveLength(1);
      // a either kept it throughout, or stepped down and took its own lease back; b never led
      expect(b.changes).toEqual([]);
      expect(a.lease.isLeader()).toBe(true);
      expect(a.lease.term).toBe(term);
    } finally {
      await closeReplicas();
      await server.stop();
    }
  });

  it('works after the bucket was deleted, and fixes a bucket made with another ttl', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      await nc.jetstream().views.kv(bucket, { history: 1, ttl: 60_000 });
      const a = await replica('a');
      a.lease.start();
      await waitFor(() => a.lease.isLeader(), { description: 'a leads' });
      const kv = await nc.jetstream().views.kv(bucket);
      expect((await kv.status()).ttl).toBe(3000);
      // the bucket disappears under a leader: it cannot renew, steps down, recreates and leads again
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(`KV_${bucket}`);
      await waitFor(() => a.changes.length >= 3 && a.lease.isLeader(), { timeoutMs: 6000, description: 'a leads again' });
      expect(a.changes.map((c) => c.leader)).toEqual([true, false, true]);
    } finally {
      await nc.close();
    }
  });
});

/** A TCP proxy to the nats-server whose forwarding can be stalled, to partition one client. */
async function stallableProxy(targetPort: number): Promise<{ url: string; stall(): void; resume(): void; close(): Promise<void> }> {
  let stalled = false;
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    pairs.push([client, upstream]);
    const forward = (from: Socket, to: Socket) => from.on('data', (d) => (stalled ? undefined : to.write(d)));
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    stall: () => (stalled = true),
    resume: () => {
      // a real partition loses what was in flight; the client's pings fail and it reconnects
      stalled = false;
      for (const [c, u] of pairs.splice(0)) {
        c.destroy();
        u.destroy();
      }
    },
    close: async () => {
      for (const [c, u] of pairs) {
        c.destroy();
        u.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
