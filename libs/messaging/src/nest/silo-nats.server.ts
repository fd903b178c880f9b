import { ServerNats } from '@nestjs/microservices';
import type { Subscription, SubscriptionOptions } from 'nats';
import { NatsConnectionService } from '../connection/nats-connection.service';
import { TolerantNatsDeserializer } from './tolerant-nats.deserializer';

export interface SiloNatsServerOptions {
  /** Queue group for every handler of this server (a service's replicas share the load). */
  queue?: string;
}

/**
 * Nest's NATS transport over the process's shared connection: it waits for NATS (retrying with a
 * visible message) instead of failing the boot, and closing it only unsubscribes its handlers;
 * the connection itself is drained by NatsConnectionService at shutdown.
 */
export class SiloNatsServer extends ServerNats {
  constructor(
    private readonly connection: NatsConnectionService,
    options: SiloNatsServerOptions = {},
  ) {
    super({ queue: options.queue, deserializer: new TolerantNatsDeserializer() } as never);
  }

  override async createNatsClient(): Promise<unknown> {
    const nc = await this.connection.ready();
    const subscriptions: Subscription[] = [];
    return {
      subscribe(subject: string, opts?: SubscriptionOptions): Subscription {
        const sub = nc.subscribe(subject, opts);
        subscriptions.push(sub);
        return sub;
      },
      async close(): Promise<void> {
        for (const sub of subscriptions) sub.unsubscribe();
      },
      status: () => nc.status(),
    };
  }

  /**
   * Subscribes, then flushes: "started" means the server has registered every subscription, so a
   * request sent right after from another connection is not lost.
   */
  override start(callback: (err?: unknown) => void): void {
    super.start(() => {
      this.connection.ready().then(
        (nc) => nc.flush().then(() => callback(), callback),
        callback,
      );
    });
  }

  /** Connection status is logged once, by NatsConnectionService. */
  override async handleStatusUpdates(): Promise<void> {}
}
