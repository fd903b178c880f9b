import { Injectable } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import type { HealthIndicator } from './health-indicator';

/** Connected to NATS, measured by a round trip to the server. */
@Injectable()
export class NatsIndicator implements HealthIndicator {
  readonly name = 'nats';

  constructor(private readonly connection: NatsConnectionService) {}

  async check(): Promise<string> {
    const nc = this.connection.current();
    if (!nc) throw new Error(`not connected to ${this.connection.url}`);
    const rtt = await nc.rtt();
    return `connected to ${nc.getServer()} (rtt ${rtt} ms)`;
  }
}
