import {
  BeforeApplicationShutdown,
  FactoryProvider,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import { ServiceIdentity } from '@silo/service-kit';
import { LeaderInfo, LeaderLease, LeaderLeaseOptions, LeaderLeaseSettings, LeadershipListener } from './leader-lease';

export type LeadershipSettings = LeaderLeaseSettings & Pick<LeaderLeaseOptions, 'clock' | 'openStore'>;

/**
 * The scheduler replica's leadership, for Nest: competes for the lease once NATS is connected,
 * logs every transition, and releases the lease on shutdown (before the NATS connection drains, in
 * `beforeApplicationShutdown`) so that a standby takes over at once.
 *
 * Only the leader reconciles, places and pushes desired state: gate that work on `isLeader()` (checked
 * right before acting) and stamp what is sent with `term`.
 */
export class LeadershipService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Leadership');
  readonly lease: LeaderLease;
  private stopped = false;

  constructor(
    private readonly nats: NatsConnectionService,
    identity: string,
    settings: LeadershipSettings = {},
  ) {
    this.lease = new LeaderLease({ ...settings, identity, connection: nats, logger: this.logger });
    this.lease.onChange((leader) => {
      if (leader) this.logger.log(`leading (term ${this.lease.term ?? '?'})`);
      else if (!this.stopped) this.logger.warn('standing by; leadership lost');
    });
    this.lease.onLeaderSeen((info) => {
      if (info && info.identity !== this.lease.identity) this.logger.log(`standing by; leader is ${info.identity} (term ${info.term})`);
    });
  }

  onApplicationBootstrap(): void {
    this.logger.log(`competing for the scheduler lease as ${this.lease.identity} (ttl ${this.lease.ttlMs} ms, renew every ${this.lease.renewIntervalMs} ms)`);
    void this.nats.ready().then(
      () => {
        if (!this.stopped) this.lease.start();
      },
      () => undefined,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const wasLeader = this.lease.isLeader();
    await this.lease.stop();
    if (wasLeader) this.logger.log('released the scheduler lease');
  }

  isLeader(): boolean {
    return this.lease.isLeader();
  }

  /** The fencing number while leading; undefined otherwise. */
  get term(): number | undefined {
    return this.lease.term;
  }

  currentLeader(): string | undefined {
    return this.lease.currentLeader();
  }

  leaderInfo(): LeaderInfo | undefined {
    return this.lease.leaderInfo();
  }

  onChange(listener: LeadershipListener): () => void {
    return this.lease.onChange(listener);
  }
}

/** Provides `LeadershipService` with the process's NATS connection and identity (`hostname:pid`). */
export function leadershipProvider(settings: LeadershipSettings = {}): FactoryProvider<LeadershipService> {
  return {
    provide: LeadershipService,
    inject: [NatsConnectionService, ServiceIdentity],
    useFactory: (nats: NatsConnectionService, identity: ServiceIdentity) => new LeadershipService(nats, identity.instance, settings),
  };
}
