import type { KvEntry, NatsConnection } from 'nats';
import { LeaderLease, LeaseClock, LeaseStore } from './leader-lease';

/** A clock whose time only moves when the test says so. */
class ManualClock implements LeaseClock {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const wrongLastSequence = () => Object.assign(new Error('wrong last sequence'), { api_error: { err_code: 10071 } });

/** One key of a KV bucket with CAS and max_age, on the manual clock. */
class FakeKv implements LeaseStore {
  seq = 0;
  entry?: { revision: number; value: Uint8Array; op: 'PUT' | 'DEL'; at: number };
  /** While set, every call hangs (a partition). */
  hang = false;
  constructor(
    private readonly clock: ManualClock,
    private readonly ttlMs: number,
  ) {}
  private live() {
    if (this.entry && this.clock.now() - this.entry.at >= this.ttlMs) this.entry = undefined;
    return this.entry;
  }
  private async gate(): Promise<void> {
    await Promise.resolve();
    if (this.hang) await new Promise(() => undefined);
  }
  async create(_k: string, data: Uint8Array): Promise<number> {
    await this.gate();
    const e = this.live();
    if (e && e.op === 'PUT') throw wrongLastSequence();
    return this.write(data, 'PUT');
  }
  async update(_k: string, data: Uint8Array, version: number): Promise<number> {
    await this.gate();
    if ((this.live()?.revision ?? 0) !== version) throw wrongLastSequence();
    return this.write(data, 'PUT');
  }
  async delete(_k: string, opts?: { previousSeq?: number }): Promise<void> {
    await this.gate();
    if (opts?.previousSeq && (this.live()?.revision ?? 0) !== opts.previousSeq) throw wrongLastSequence();
    this.write(new Uint8Array(), 'DEL');
  }
  async get(): Promise<KvEntry | null> {
    await this.gate();
    const e = this.live();
    return e ? ({ revision: e.revision, value: e.value, operation: e.op } as unknown as KvEntry) : null;
  }
  write(value: Uint8Array, op: 'PUT' | 'DEL'): number {
    this.entry = { revision: ++this.seq, value, op, at: this.clock.now() };
    return this.seq;
  }
  holder(): string | undefined {
    const e = this.live();
    return e?.op === 'PUT' ? (JSON.parse(new TextDecoder().decode(e.value)) as { holder: string }).holder : undefined;
  }
}

function setup() {
  const clock = new ManualClock();
  const kv = new FakeKv(clock, 3000);
  const nc = {} as NatsConnection;
  let connected = true;
  const connection = { current: () => (connected ? nc : undefined) };
  const make = (identity: string) => {
    const lease = new LeaderLease({ identity, connection, clock, openStore: async () => kv });
    const changes: boolean[] = [];
    lease.onChange((leader) => changes.push(leader));
    return { lease, changes };
  };
  return { clock, kv, make, disconnect: () => (connected = false), reconnect: () => (connected = true) };
}

describe('LeaderLease (fake clock and store)', () => {
  it('acquires, renews every interval and keeps its term', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0);
    expect(a.lease.isLeader()).toBe(true);
    expect(a.lease.term).toBe(1);
    await clock.advance(10_000);
    expect(a.lease.isLeader()).toBe(true);
    expect(a.lease.term).toBe(1);
    expect(kv.seq).toBe(11); // one create + ten renewals
    expect(a.changes).toEqual([true]);
  });

  it('steps down by itself at ttl minus the margin when renewals hang, before the lease can expire', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0); // acquired at t=0, deadline 2500
    kv.hang = true;
    await clock.advance(2499);
    expect(a.lease.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.lease.isLeader()).toBe(false);
    expect(a.changes).toEqual([true, false]);
    expect(kv.holder()).toBe('a'); // still on the server, for 500 ms more: nobody else can lead yet
  });

  it('isLeader() is false past the deadline even if the step-down timer has not fired', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0);
    kv.hang = true;
    // move time without firing timers (a blocked event loop)
    (clock as unknown as { time: number }).time = 2600;
    expect(a.lease.isLeader()).toBe(false);
    expect(a.lease.term).toBeUndefined();
  });

  it('steps down when NATS is not connected, and competes again when it is back', async () => {
    const { clock, make, disconnect, reconnect } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0);
    disconnect();
    await clock.advance(2500);
    expect(a.changes).toEqual([true, false]);
    await clock.advance(2000); // the lease has expired on the server meanwhile
    reconnect();
    await clock.advance(1000);
    expect(a.changes).toEqual([true, false, true]);
    expect(a.lease.term).toBeGreaterThan(1);
  });

  it('steps down at once when it loses the compare-and-set, and then sees the new holder', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0);
    // someone else writes the key (an operator, a replica that saw it expire)
    kv.write(new TextEncoder().encode(JSON.stringify({ holder: 'x', token: 'other' })), 'PUT');
    await clock.advance(1000);
    expect(a.changes).toEqual([true, false]);
    expect(a.lease.currentLeader()).toBe('x');
    expect(a.lease.leaderInfo()).toEqual({ identity: 'x', term: kv.seq });
  });

  it('a standby takes over after expiry with a higher term, and never while the old lease can be valid', async () => {
    const { clock, make } = setup();
    const a = make('a');
    const b = make('b');
    a.lease.start();
    await clock.advance(0);
    b.lease.start();
    await clock.advance(500);
    expect(b.lease.currentLeader()).toBe('a');
    const term = a.lease.term!;
    await a.lease.stop({ release: false }); // a crashes: it stops writing, the lease stays until it expires
    let overlap = false;
    for (let t = 0; t < 5000; t += 50) {
      await clock.advance(50);
      if (a.lease.isLeader() && b.lease.isLeader()) overlap = true;
      if (b.lease.isLeader()) break;
    }
    expect(overlap).toBe(false);
    expect(b.lease.isLeader()).toBe(true);
    expect(b.lease.term!).toBeGreaterThan(term);
  });

  it('releases on stop with compare-and-set, so a standby takes over at its next poll', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    const b = make('b');
    a.lease.start();
    await clock.advance(0);
    b.lease.start();
    await clock.advance(100);
    await a.lease.stop();
    expect(kv.entry?.op).toBe('DEL');
    await clock.advance(1000);
    expect(b.lease.isLeader()).toBe(true);
  });

  it('adopts its own write that landed after the request had failed', async () => {
    const { clock, kv, make } = setup();
    const a = make('a');
    a.lease.start();
    await clock.advance(0);
    // a renewal "times out" but was stored: the server revision moves on with a's own value
    kv.write(kv.entry!.value, 'PUT');
    await clock.advance(1000);
    expect(a.lease.isLeader()).toBe(true);
    expect(a.changes).toEqual([true]);
    await clock.advance(5000);
    expect(a.lease.isLeader()).toBe(true);
  });

  it('refuses settings that cannot keep a lease', () => {
    const connection = { current: () => undefined };
    expect(() => new LeaderLease({ connection, ttlMs: 1000, renewIntervalMs: 1000 })).toThrow(/renew interval/);
  });
});
