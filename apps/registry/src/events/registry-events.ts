import { Injectable, Logger } from '@nestjs/common';
import { Subjects } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';

export interface PushedEvent {
  repository: string;
  tag?: string;
  digest: string;
  size: number;
  mediaType: string;
  /** Anyone may pull it: subscribers show the event to accounts outside the owning team too. */
  public: boolean;
}

export interface DeletedEvent {
  repository: string;
  digest?: string;
  tags: string[];
  public: boolean;
}

/**
 * `silo.registry.pushed` and `silo.registry.deleted` (broadcast). A push never fails because NATS
 * is away: the event is logged as lost instead.
 */
@Injectable()
export class RegistryEvents {
  private readonly logger = new Logger(RegistryEvents.name);

  constructor(private readonly nats: NatsClient) {}

  pushed(event: PushedEvent): void {
    this.publish(Subjects.registryPushedEvent, event);
  }

  deleted(event: DeletedEvent): void {
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
