import { Injectable } from '@nestjs/common';
import { SiloError } from '@silo/domain';
import { NatsConnectionService } from '@silo/messaging';
import { createInbox, headers as natsHeaders, Msg } from 'nats';

export interface StreamMessage {
  data: Uint8Array;
  header(name: string): string | undefined;
  /** The envelope's `data` for Silo events (`{pattern, data}`), or the parsed JSON body. */
  json(): unknown;
}

export type Unsubscribe = () => void;

const decoder = new TextDecoder();

/**
 * Subscriptions and raw publishes for streams that are not request/reply: events, followed logs,
 * exec sessions. Each subscription is ended by the function it returns.
 */
@Injectable()
export class NatsStreams {
  constructor(private readonly connection: NatsConnectionService) {}

  private nc() {
    const nc = this.connection.current();
    if (!nc) throw new SiloError('UNAVAILABLE', `not connected to NATS at ${this.connection.url}`);
    return nc;
  }

  inbox(): string {
    return createInbox();
  }

  subscribe(subject: string, onMessage: (msg: StreamMessage) => void): Unsubscribe {
    const subscription = this.nc().subscribe(subject, {
      callback: (err, msg) => {
        if (!err) onMessage(wrap(msg));
      },
    });
    return () => {
      if (!subscription.isClosed()) subscription.unsubscribe();
    };
  }

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    let h;
    if (headers) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.set(k, v);
    }
    this.nc().publish(subject, data, h ? { headers: h } : undefined);
  }

  /** Makes sure the server has the subscriptions made so far (before asking others to publish). */
  async flush(): Promise<void> {
    await this.nc().flush();
  }
}

function wrap(msg: Msg): StreamMessage {
  return {
    data: msg.data,
    header: (name) => msg.headers?.get(name) || undefined,
    json: () => {
      const parsed = JSON.parse(decoder.decode(msg.data)) as unknown;
      if (parsed && typeof parsed === 'object' && 'pattern' in parsed && 'data' in parsed) return (parsed as { data: unknown }).data;
      return parsed;
    },
  };
}
