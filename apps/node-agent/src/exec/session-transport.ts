import { Injectable } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import { headers as natsHeaders } from 'nats';

/** One message of a session: raw bytes and the NATS headers that came with them. */
export interface SessionMessage {
  data: Uint8Array;
  header(name: string): string | undefined;
}

/** The messaging an exec session needs: raw publishes with headers, plain subscriptions. */
export abstract class SessionTransport {
  abstract publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void;
  /** Returns the unsubscribe function. */
  abstract subscribe(subject: string, onMessage: (message: SessionMessage) => void): () => void;
}

/** SessionTransport over the agent's NATS connection. */
@Injectable()
export class NatsSessionTransport extends SessionTransport {
  constructor(private readonly connection: NatsConnectionService) {
    super();
  }

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    const nc = this.connection.require();
    let h;
    if (headers) {
      h = natsHeaders();
      for (const [key, value] of Object.entries(headers)) h.set(key, value);
    }
    nc.publish(subject, data, h ? { headers: h } : undefined);
  }

  subscribe(subject: string, onMessage: (message: SessionMessage) => void): () => void {
    const subscription = this.connection.require().subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        onMessage({ data: msg.data, header: (name) => (msg.headers?.has(name) ? msg.headers.get(name) : undefined) });
      },
    });
    return () => subscription.unsubscribe();
  }
}
