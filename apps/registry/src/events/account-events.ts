import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ACCOUNT_CHANGES, AccountChange, AccountChangedEvent, Subjects } from '@silo/contracts';
import { encodeEvent, NatsConnectionService } from '@silo/messaging';
import { headers as natsHeaders, Msg, Subscription } from 'nats';
import { randomUUID } from 'node:crypto';

export { ACCOUNT_CHANGES, AccountChange, AccountChangedEvent };

export type AccountChangeListener = (event: AccountChangedEvent) => void;

const decoder = new TextDecoder();
/** NATS header naming the registry instance that published a change (it has acted on it already). */
export const ORIGIN_HEADER = 'Silo-Origin';

/** Parses an event envelope `{ pattern, data }`; undefined for anything that is not one. */
export function parseAccountChanged(bytes: Uint8Array): AccountChangedEvent | undefined {
  try {
    const data = (JSON.parse(decoder.decode(bytes)) as { data?: Partial<AccountChangedEvent> }).data;
    if (typeof data?.name !== 'string' || !ACCOUNT_CHANGES.includes(data.change as AccountChange)) return undefined;
    return { name: data.name, change: data.change as AccountChange };
  } catch {
    return undefined;
  }
}

/**
 * Account changes, in this process and across replicas: `changed` tells local listeners at once
 * (synchronously, before the caller answers) and broadcasts the event; events from other
 * replicas reach the same listeners. A change never fails because NATS is away.
 */
@Injectable()
export class AccountEvents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountEvents.name);
  private readonly listeners: AccountChangeListener[] = [];
  private subscription?: Subscription;
  private stopped = false;
  /** This process: its own events come back over NATS and are skipped. */
  private readonly origin = randomUUID();

  constructor(private readonly connection: NatsConnectionService) {}

  onChange(listener: AccountChangeListener): void {
    this.listeners.push(listener);
  }

  changed(name: string, change: AccountChange): void {
    const event = { name, change };
    this.notify(event);
    try {
      const nc = this.connection.current();
      if (!nc) throw new Error(`not connected to NATS at ${this.connection.url}`);
      const h = natsHeaders();
      h.set(ORIGIN_HEADER, this.origin);
      nc.publish(Subjects.accountChangedEvent, encodeEvent(Subjects.accountChangedEvent, event), { headers: h });
    } catch (err) {
      this.logger.warn(`event ${Subjects.accountChangedEvent} not published: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  onApplicationBootstrap(): void {
    void this.connection.ready().then(
      (nc) => {
        if (this.stopped) return;
        // Broadcast: no queue group, every replica hears every change.
        this.subscription = nc.subscribe(Subjects.accountChangedEvent, {
          callback: (_err, msg) => this.receive(msg),
        });
      },
      () => undefined,
    );
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
  }

  private receive(msg: Msg): void {
    if (msg.headers?.get(ORIGIN_HEADER) === this.origin) return;
    const event = parseAccountChanged(msg.data);
    if (event) this.notify(event);
  }

  private notify(event: AccountChangedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error(`account change listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
