import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { validateContract } from '@silo/contracts';
import { answerRequest, NatsConnectionService } from '@silo/messaging';
import type { Subscription } from 'nats';

/**
 * Serves the subjects addressed to this one node (`silo.agent.<nodeId>.…`), whose names are only
 * known at run time, in the same wire format as Silo's Nest services: request `{pattern, data, id}`,
 * reply `{id, response}` or `{id, err: {code, message, details}}`. Payloads are validated against
 * their contract first; a bad one gets VALIDATION_FAILED and changes nothing.
 */
@Injectable()
export class AgentRpcServer implements OnApplicationShutdown {
  private readonly logger = new Logger(AgentRpcServer.name);
  private readonly subscriptions: Subscription[] = [];
  private closed = false;

  constructor(private readonly connection: NatsConnectionService) {}

  handle<T extends object>(subject: string, contract: new () => T, handler: (request: T) => Promise<object>): void {
    void this.connection.ready().then(
      (nc) => {
        if (this.closed) return;
        const subscription = nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            const onUnexpected = (e: unknown) => this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
            void answerRequest(msg.data, (data) => handler(validateContract(contract, data)), onUnexpected).then((reply) => msg.respond(reply));
          },
        });
        this.subscriptions.push(subscription);
      },
      () => undefined,
    );
  }

  onApplicationShutdown(): void {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}
