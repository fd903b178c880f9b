import { Injectable } from '@nestjs/common';
import { ManyResult, NatsClient } from '@silo/messaging';
import { ApiConfig } from '../config/api.config';

/**
 * Request/reply with the other services: every call has a timeout (the configured NATS timeout
 * unless the caller says otherwise) and a reply contract that validates the answer.
 */
@Injectable()
export class Rpc {
  constructor(
    private readonly nats: NatsClient,
    private readonly config: ApiConfig,
  ) {}

  call<R extends object>(subject: string, payload: object, reply: new () => R, timeoutMs = this.config.natsTimeoutMs): Promise<R> {
    return this.nats.request(subject, payload, { reply, timeoutMs });
  }

  many<R extends object>(subject: string, payload: object, reply: new () => R, timeoutMs: number, stallMs?: number): Promise<ManyResult<R>> {
    return this.nats.requestMany(subject, payload, { reply, timeoutMs, stallMs });
  }
}
