import { validateContract } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { ErrorCode as NatsErrorCode, NatsError, RequestStrategy } from 'nats';
import { NatsConnectionService } from '../connection/nats-connection.service';
import { decodeReply, encodeEvent, encodeRequest } from './envelope';

export interface RequestOptions<R extends object> {
  /** The reply's contract class: the reply is validated like any incoming message. */
  reply: new () => R;
  timeoutMs?: number;
}

export interface RequestManyOptions<R extends object> extends RequestOptions<R> {
  /** Stop early after this many replies. */
  max?: number;
  /**
   * Stop once no further reply arrives for this long after the last one (the first may take up to
   * `timeoutMs`). Without it, gathering always lasts `timeoutMs`.
   */
  stallMs?: number;
}

export interface ManyResult<R> {
  replies: R[];
  /** Replies that failed (remote error or an invalid reply), with the reason. */
  failures: SiloError[];
}

/**
 * Typed request/reply and publish over the shared connection. Every request has a timeout and
 * fails with a structured SiloError: TIMEOUT, UNAVAILABLE (no responders, NATS down) or the
 * remote service's own code. Replies are validated against their contract.
 */
export class NatsClient {
  constructor(
    private readonly connection: NatsConnectionService,
    private readonly defaultTimeoutMs = 5000,
  ) {}

  async request<R extends object>(subject: string, payload: object, options: RequestOptions<R>): Promise<R> {
    return this.validateReply(subject, await this.roundTrip(subject, payload, options.timeoutMs), options.reply);
  }

  /**
   * A command whose answer only says it was taken (or the remote error): delivered, decoded, an
   * error envelope thrown — the body is not validated, for hot paths whose reply nobody reads
   * (the scheduler's desired sets: thousands a second).
   */
  async command(subject: string, payload: object, options: { timeoutMs?: number } = {}): Promise<void> {
    await this.roundTrip(subject, payload, options.timeoutMs);
  }

  /** One request: the decoded reply body, or the structured error (remote, TIMEOUT, UNAVAILABLE). */
  private async roundTrip(subject: string, payload: object, timeoutMs = this.defaultTimeoutMs): Promise<unknown> {
    const nc = this.connected(subject);
    let reply;
    try {
      reply = await nc.request(subject, encodeRequest(subject, payload), { timeout: timeoutMs });
    } catch (err) {
      throw this.translate(subject, err, timeoutMs);
    }
    return decodeReply(subject, reply.data);
  }

  /** Scatter-gather: every responder (no queue group) answers within the time window. */
  async requestMany<R extends object>(subject: string, payload: object, options: RequestManyOptions<R>): Promise<ManyResult<R>> {
    const nc = this.connected(subject);
    const timeout = options.timeoutMs ?? this.defaultTimeoutMs;
    const result: ManyResult<R> = { replies: [], failures: [] };
    let iterator;
    try {
      iterator = await nc.requestMany(subject, encodeRequest(subject, payload), {
        strategy: options.stallMs ? RequestStrategy.JitterTimer : RequestStrategy.Timer,
        maxWait: timeout,
        jitter: options.stallMs,
        maxMessages: options.max,
      });
    } catch (err) {
      throw this.translate(subject, err, timeout);
    }
    try {
      for await (const msg of iterator) {
        // A 503 status message means nobody listens; it ends the gathering with no replies.
        if (msg.headers?.hasError && msg.headers.code === 503) break;
        try {
          result.replies.push(this.validateReply(subject, decodeReply(subject, msg.data), options.reply));
        } catch (err) {
          result.failures.push(err instanceof SiloError ? err : new SiloError('INTERNAL', String(err)));
        }
        if (options.max !== undefined && result.replies.length + result.failures.length >= options.max) break;
      }
    } catch (err) {
      if (!(err instanceof NatsError && err.code === NatsErrorCode.NoResponders)) throw this.translate(subject, err, timeout);
    }
    return result;
  }

  /** Fire-and-forget event (broadcast subjects); flushed on drain. */
  publish(subject: string, payload: object): void {
    this.connected(subject).publish(subject, encodeEvent(subject, payload));
  }

  private connected(subject: string) {
    const nc = this.connection.current();
    if (!nc) throw new SiloError('UNAVAILABLE', `cannot reach ${subject}: not connected to NATS at ${this.connection.url}`);
    return nc;
  }

  private validateReply<R extends object>(subject: string, response: unknown, cls: new () => R): R {
    try {
      return validateContract(cls, response);
    } catch (err) {
      throw new SiloError('INTERNAL', `invalid reply on ${subject}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private translate(subject: string, err: unknown, timeout: number): SiloError {
    if (err instanceof SiloError) return err;
    if (err instanceof NatsError) {
      if (err.code === NatsErrorCode.NoResponders) return new SiloError('UNAVAILABLE', `no service answers ${subject}`);
      if (err.code === NatsErrorCode.Timeout) return new SiloError('TIMEOUT', `${subject} did not answer within ${timeout} ms`);
    }
    return new SiloError('UNAVAILABLE', `${subject}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
