import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RpcErrorBody, validateContract } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsConnectionService } from '@silo/messaging';
import type { Subscription } from 'nats';

type Handler = (data: unknown) => Promise<object>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
            void this.dispatch(msg.data, (reply) => msg.respond(reply), (data) => handler(validateContract(contract, data)) as ReturnType<Handler>);
          },
        });
        this.subscriptions.push(subscription);
      },
      () => undefined,
    );
  }

  private async dispatch(bytes: Uint8Array, respond: (data: Uint8Array) => boolean, handler: Handler): Promise<void> {
    let id: string | undefined;
    let reply: object;
    try {
      const envelope = JSON.parse(decoder.decode(bytes)) as { id?: string; data?: unknown };
      id = envelope.id;
      reply = { id, response: await handler(envelope.data ?? {}) };
    } catch (err) {
      reply = { id, err: toErrorBody(err), isDisposed: true };
      if (!(err instanceof SiloError) && !(err instanceof SyntaxError)) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    }
    respond(encoder.encode(JSON.stringify(reply)));
  }

  onApplicationShutdown(): void {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}

function toErrorBody(err: unknown): RpcErrorBody {
  if (err instanceof SiloError) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof SyntaxError) return { code: 'VALIDATION_FAILED', message: 'the payload is not JSON' };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
