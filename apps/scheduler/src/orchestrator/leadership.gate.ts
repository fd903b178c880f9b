import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import { LeadershipService } from '../leadership';
import { LeadershipGate } from './orchestrator.service';

/**
 * Leadership through the JetStream KV lease when the NATS server has JetStream (every Silo
 * deployment does: npm start, docker-compose). On a NATS without JetStream there is no lease to
 * hold: this replica then leads alone and says so — run only one scheduler there.
 */
@Injectable()
export class LeaseLeadershipGate extends LeadershipGate implements OnApplicationBootstrap {
  private readonly logger = new Logger('Leadership');
  private withoutLease = false;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(
    private readonly lease: LeadershipService,
    private readonly connection: NatsConnectionService,
  ) {
    super();
    lease.onChange((leader) => {
      if (!this.withoutLease) for (const l of this.listeners) l(leader);
    });
  }

  onApplicationBootstrap(): void {
    void this.connection.ready().then(
      async (nc) => {
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
        } catch {
          this.withoutLease = true;
          this.logger.warn('this NATS server has no JetStream: leading without a lease (run only ONE scheduler on it)');
          void this.lease.stop();
          for (const l of this.listeners) l(true);
        }
      },
      () => undefined,
    );
  }

  isLeader(): boolean {
    return this.withoutLease || this.lease.isLeader();
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
