import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { KV, KvEntry, NatsConnection, nanos } from 'nats';

/**
 * Leader election for scheduler replicas, on a lease in a NATS JetStream KV bucket (no consensus of
 * our own: JetStream's per-subject compare-and-set does the arbitration).
 *
 * - acquire: `kv.create(key)` — succeeds only when the key is absent, expired, deleted or purged;
 * - renew: `kv.update(key, value, lastRevision)` every `renewIntervalMs` — compare-and-set, so a
 *   leader that was superseded cannot overwrite its successor;
 * - expiry: the bucket's `max_age` is the lease TTL. A leader that stops renewing (crash, partition)
 *   loses its key `ttlMs` after its last write, and a standby's next `create` succeeds;
 * - release: a graceful `stop()` deletes the key with compare-and-set, so a standby takes over at its
 *   next poll instead of waiting for the TTL.
 *
 * Safety: the leader's own lease ends at `sentAt + ttlMs - safetyMarginMs`, where `sentAt` is when it
 * *sent* its last successful write (the server stored it later, so the server-side expiry is later
 * still). When that local deadline passes without a confirmed renewal, the leader steps down by itself
 * — NATS reachable or not — and `isLeader()` checks the deadline on every call, so a late timer (a
 * blocked event loop) cannot stretch the lease either.
 *
 * Fencing: `term` is the KV revision (the stream sequence) of the write that won the lease; it only
 * grows, across releases, expiries and server restarts with the store kept, so whatever the leader
 * sends can be stamped with it and receivers can ignore a lower term. It restarts from 1 only if the
 * bucket's stream itself is deleted or its JetStream store is lost (receivers should then accept a
 * term reset that comes with a new leader after a long silence, or the operator bumps it).
 *
 * Checked against nats-server 2.9.10: `create` over a delete marker works (nats.js falls back to a
 * compare-and-set on the marker's revision), expired keys and markers disappear `ttl` after their
 * write (measured 3.03–3.05 s for 3 s), and the stream sequence survives a restart even when empty.
 */

/** Where the lease finds its NATS connection; `NatsConnectionService` fits. */
export interface LeaseConnectionProvider {
  /** The live connection, or undefined while not connected. */
  current(): NatsConnection | undefined;
}

/** Monotonic time and timers, behind a seam so tests can drive them. */
export interface LeaseClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemLeaseClock: LeaseClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The few KV operations the lease uses (nats.js `KV` fits; unit tests use a fake). */
export type LeaseStore = Pick<KV, 'create' | 'update' | 'get' | 'delete'>;

export interface LeaseLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface LeaderLeaseSettings {
  /** KV bucket, dedicated to leases (its max_age is the lease TTL). Default `silo-scheduler`. */
  bucket?: string;
  /** Key of the lease in the bucket. Default `leader`. */
  key?: string;
  /** Lease time to live: a silent leader's lease disappears this long after its last renewal. Default 3000. */
  ttlMs?: number;
  /** How often the leader renews and a standby tries to acquire. Default 1000. */
  renewIntervalMs?: number;
  /** The leader steps down this long before the TTL would expire on the server. Default ttlMs / 6. */
  safetyMarginMs?: number;
  /** Timeout of each KV request. Default renewIntervalMs. */
  requestTimeoutMs?: number;
}

export interface LeaderLeaseOptions extends LeaderLeaseSettings {
  connection: LeaseConnectionProvider;
  /** Who this replica is, as others see it: `hostname:pid` by default. */
  identity?: string;
  clock?: LeaseClock;
  logger?: LeaseLogger;
  /** Opens the KV bucket on a connection; by default `js.views.kv(bucket, { history: 1, ttl })`. */
  openStore?: (nc: NatsConnection) => Promise<LeaseStore>;
}

/** What the lease key holds. */
interface LeaseValue {
  holder: string;
  /** Unique per LeaderLease instance, so a restarted process with the same identity is another holder. */
  token: string;
  /** The revision that won the lease; absent on that first write itself (its own revision is the term). */
  term?: number;
}

export interface LeaderInfo {
  identity: string;
  term: number;
}

export type LeadershipListener = (leader: boolean) => void;

const WRONG_LAST_SEQUENCE = 10071;

function isWrongLastSequence(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const DEFAULT_LEASE_SETTINGS = {
  bucket: 'silo-scheduler',
  key: 'leader',
  ttlMs: 3000,
  renewIntervalMs: 1000,
} as const;

export class LeaderLease {
  readonly identity: string;
  readonly bucket: string;
  readonly key: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly safetyMarginMs: number;
  readonly requestTimeoutMs: number;

  private readonly token = randomUUID();
  private readonly clock: LeaseClock;
  private readonly connection: LeaseConnectionProvider;
  private readonly logger?: LeaseLogger;
  private readonly openStore: (nc: NatsConnection) => Promise<LeaseStore>;
  private readonly listeners = new Set<LeadershipListener>();
  private readonly seenListeners = new Set<(info: LeaderInfo | undefined) => void>();

  private running = false;
  private leading = false;
  /** Local end of our lease (monotonic ms); meaningful while leading. */
  private deadline = 0;
  /** Our last successful write of the lease: as far as we know, the server holds it for us. */
  private held?: { revision: number; term: number };
  /** The holder as last seen (us included). */
  private observed?: LeaderInfo;
  private store?: { nc: NatsConnection; store: LeaseStore };
  private tickTimer?: unknown;
  private deadlineTimer?: unknown;
  private inflight?: Promise<void>;
  private lastProblem?: string;

  constructor(options: LeaderLeaseOptions) {
    this.identity = options.identity ?? `${hostname()}:${process.pid}`;
    this.bucket = options.bucket ?? DEFAULT_LEASE_SETTINGS.bucket;
    this.key = options.key ?? DEFAULT_LEASE_SETTINGS.key;
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_SETTINGS.ttlMs;
    this.renewIntervalMs = options.renewIntervalMs ?? DEFAULT_LEASE_SETTINGS.renewIntervalMs;
    this.safetyMarginMs = options.safetyMarginMs ?? Math.round(this.ttlMs / 6);
    this.requestTimeoutMs = options.requestTimeoutMs ?? this.renewIntervalMs;
    if (this.ttlMs <= 0 || this.renewIntervalMs <= 0 || this.safetyMarginMs < 0) {
      throw new Error('lease ttl and renew interval must be positive, the safety margin not negative');
    }
    if (this.renewIntervalMs >= this.ttlMs - this.safetyMarginMs) {
      throw new Error(
        `lease renew interval (${this.renewIntervalMs} ms) must be shorter than ttl minus safety margin (${this.ttlMs - this.safetyMarginMs} ms)`,
      );
    }
    this.connection = options.connection;
    this.clock = options.clock ?? systemLeaseClock;
    this.logger = options.logger;
    this.openStore = options.openStore ?? ((nc) => this.openKv(nc));
  }

  /** Starts competing for the lease (in the background; NATS need not be reachable yet). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Stops competing. Listeners hear `false` first (stop acting), then, with `release` (the default),
   * the lease is deleted so a standby takes over at once. `release: false` leaves the lease to expire,
   * as a crash would.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clearTimer('tickTimer');
    this.clearTimer('deadlineTimer');
    if (this.leading) this.stepDown('stopping');
    await this.inflight;
    const held = this.held;
    this.held = undefined;
    if (options.release === false || !held) return;
    try {
      const store = await this.storeFor();
      if (store) await store.delete(this.key, { previousSeq: held.revision });
      if (this.observed?.identity === this.identity) this.setObserved(undefined);
    } catch (err) {
      // someone else holds it already, or NATS is away: the lease expires by itself
      this.logger?.warn(`could not release the leader lease (${describe(err)}); it expires within ${this.ttlMs} ms`);
    }
  }

  /** True while this replica holds a lease that has not run out locally. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.deadline;
  }

  /** The fencing number of our leadership while we lead; undefined otherwise. */
  get term(): number | undefined {
    return this.isLeader() ? this.held?.term : undefined;
  }

  /** Identity of the current leader as last seen (ours when we lead), or undefined when none is known. */
  currentLeader(): string | undefined {
    return this.leaderInfo()?.identity;
  }

  leaderInfo(): LeaderInfo | undefined {
    if (this.isLeader() && this.held) return { identity: this.identity, term: this.held.term };
    if (this.observed?.identity === this.identity) return undefined;
    return this.observed;
  }

  /** Milliseconds left of our lease (0 when not leading), for callers that want a margin before acting. */
  remainingMs(): number {
    return this.isLeader() ? Math.max(0, this.deadline - this.clock.now()) : 0;
  }

  /** Calls `listener(true)` on becoming leader and `listener(false)` on stepping down. Returns an unsubscribe. */
  onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- the loop -------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    this.clearTimer('tickTimer');
    if (!this.running) return;
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = undefined;
      this.inflight = this.tick().finally(() => (this.inflight = undefined));
    }, Math.max(0, delayMs));
  }

  private async tick(): Promise<void> {
    const startedAt = this.clock.now();
    let retrySoon = false;
    try {
      const store = await this.storeFor();
      if (store) retrySoon = this.leading || this.held ? await this.renew(store) : await this.acquire(store);
      this.lastProblem = undefined;
    } catch (err) {
      this.store = undefined; // bind again next time (the bucket may be gone, the connection replaced)
      const problem = describe(err);
      if (problem !== this.lastProblem) {
        this.logger?.warn(`leader lease: ${problem}; retrying every ${this.renewIntervalMs} ms`);
        this.lastProblem = problem;
      }
    }
    const elapsed = this.clock.now() - startedAt;
    this.schedule(retrySoon ? Math.min(100, this.renewIntervalMs / 10) : this.renewIntervalMs - elapsed);
  }

  /** Tries to take the lease. Returns true when it should retry at once. */
  private async acquire(store: LeaseStore): Promise<boolean> {
    const sentAt = this.clock.now();
    try {
      const revision = await store.create(this.key, this.encode());
      this.won(revision, revision, sentAt);
      return false;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    // somebody's lease is there (create already retries over delete and purge markers)
    const entry = await store.get(this.key);
    if (!entry || entry.operation !== 'PUT') {
      this.setObserved(undefined);
      return true; // it expired or was released meanwhile
    }
    const value = this.decode(entry);
    if (value?.token === this.token) {
      // ours, from a renewal that landed after we stepped down: take it back through compare-and-set
      const again = this.clock.now();
      const revision = await store.update(this.key, this.encode(), entry.revision);
      this.won(revision, revision, again);
      return false;
    }
    this.setObserved(value ? { identity: value.holder, term: value.term ?? entry.revision } : undefined);
    return false;
  }

  /** Renews our lease with compare-and-set. Returns true when it should retry at once. */
  private async renew(store: LeaseStore): Promise<boolean> {
    const held = this.held;
    if (!held) return false;
    const sentAt = this.clock.now();
    try {
      const revision = await store.update(this.key, this.encode(held.term), held.revision);
      if (this.held !== held) return false;
      this.held = { revision, term: held.term };
      if (this.leading && this.running) this.extend(sentAt + this.ttlMs - this.safetyMarginMs);
      else if (this.running) this.won(revision, held.term, sentAt); // renewed after a local step-down: lead again
      return false;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    // the revision moved: either our own earlier write landed after its request timed out, or we lost
    const entry = await store.get(this.key);
    const value = entry?.operation === 'PUT' ? this.decode(entry) : undefined;
    if (entry && value?.token === this.token && this.held === held) {
      this.held = { revision: entry.revision, term: held.term };
      return true; // renew again now from the right revision; the deadline stays where it was
    }
    this.held = undefined;
    this.setObserved(value && entry ? { identity: value.holder, term: value.term ?? entry.revision } : undefined);
    if (this.leading) this.stepDown(this.observed ? `lease taken by ${this.observed.identity}` : 'lease lost (expired)');
    return true; // compete again at once
  }

  private won(revision: number, term: number, sentAt: number): void {
    this.held = { revision, term };
    if (!this.running) return; // stop() releases it
    const deadline = sentAt + this.ttlMs - this.safetyMarginMs;
    if (this.clock.now() >= deadline) return; // too slow to be of use; it renews or expires
    this.leading = true;
    this.setObserved({ identity: this.identity, term });
    this.extend(deadline);
    this.notify(true);
  }

  private extend(deadline: number): void {
    this.deadline = deadline;
    this.clearTimer('deadlineTimer');
    this.deadlineTimer = this.clock.setTimeout(() => this.onDeadline(), deadline - this.clock.now());
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    if (!this.leading) return;
    const left = this.deadline - this.clock.now();
    if (left > 0) {
      this.deadlineTimer = this.clock.setTimeout(() => this.onDeadline(), left);
      return;
    }
    this.stepDown(`could not renew the lease within ${this.ttlMs - this.safetyMarginMs} ms`);
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.clearTimer('deadlineTimer');
    if (this.observed?.identity === this.identity) this.setObserved(undefined);
    if (reason !== 'stopping') this.logger?.warn(`leader lease: stepping down: ${reason}`);
    this.notify(false);
  }

  /** Calls `listener` whenever the leader this replica sees (itself included) changes; undefined: none known. */
  onLeaderSeen(listener: (info: LeaderInfo | undefined) => void): () => void {
    this.seenListeners.add(listener);
    return () => this.seenListeners.delete(listener);
  }

  private setObserved(info: LeaderInfo | undefined): void {
    const before = this.observed;
    this.observed = info;
    if (before?.identity === info?.identity && before?.term === info?.term) return;
    for (const listener of [...this.seenListeners]) {
      try {
        listener(info);
      } catch (err) {
        this.logger?.warn(`leadership listener failed: ${describe(err)}`);
      }
    }
  }

  private notify(leader: boolean): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(leader);
      } catch (err) {
        this.logger?.warn(`leadership listener failed: ${describe(err)}`);
      }
    }
  }

  private clearTimer(which: 'tickTimer' | 'deadlineTimer'): void {
    if (this[which] !== undefined) this.clock.clearTimeout(this[which]);
    this[which] = undefined;
  }

  // --- the store ------------------------------------------------------------------------------

  private async storeFor(): Promise<LeaseStore | undefined> {
    const nc = this.connection.current();
    if (!nc) {
      this.store = undefined;
      return undefined;
    }
    if (this.store?.nc !== nc) this.store = { nc, store: await this.openStore(nc) };
    return this.store.store;
  }

  /** Binds (or creates) the bucket, and corrects its TTL if it was created with another one. */
  private async openKv(nc: NatsConnection): Promise<LeaseStore> {
    const kv = await nc
      .jetstream({ timeout: this.requestTimeoutMs })
      .views.kv(this.bucket, { history: 1, ttl: this.ttlMs, timeout: this.requestTimeoutMs });
    const status = await kv.status();
    if (status.ttl !== this.ttlMs) {
      const jsm = await nc.jetstreamManager({ timeout: this.requestTimeoutMs });
      const current = status.streamInfo.config;
      await jsm.streams.update(current.name, {
        max_age: nanos(this.ttlMs),
        duplicate_window: Math.min(current.duplicate_window || nanos(this.ttlMs), nanos(this.ttlMs)),
      });
      this.logger?.log(`leader lease bucket ${this.bucket}: ttl changed from ${status.ttl} ms to ${this.ttlMs} ms`);
    }
    return kv;
  }

  private encode(term?: number): Uint8Array {
    const value: LeaseValue = { holder: this.identity, token: this.token, ...(term === undefined ? {} : { term }) };
    return encoder.encode(JSON.stringify(value));
  }

  private decode(entry: KvEntry): LeaseValue | undefined {
    try {
      const value = JSON.parse(decoder.decode(entry.value)) as Partial<LeaseValue>;
      if (typeof value.holder === 'string' && typeof value.token === 'string') return value as LeaseValue;
    } catch {
      // not ours to understand
    }
    return undefined;
  }
}
