import { Injectable, Logger } from '@nestjs/common';
import { RegistryDeletedEvent, RegistryPushedEvent, Subjects } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';

/**
 * `silo.registry.pushed` and `silo.registry.deleted` (broadcast). A push never fails because NATS
 * is away: the event is logged as lost instead.
 */
@Injectable()
export class RegistryEvents {
  private readonly logger = new Logger(RegistryEvents.name);

  constructor(private readonly nats: NatsClient) {}

  pushed(event: RegistryPushedEvent): void {
    this.publish(Subjects.registryPushedEvent, event);
  }

  deleted(event: RegistryDeletedEvent): void {
    this.publish(Subjects.registryDeletedEvent, event);
  }

  private publish(subject: string, event: object): void {
    try {
      this.nats.publish(subject, event);
    } catch (err) {
      this.logger.warn(`event ${subject} not published: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
