import { Logger } from '@nestjs/common';
import { connect, ConnectionOptions, NatsConnection } from 'nats';

/** The few log calls this class makes; Nest's Logger and console both fit. */
export interface MessagingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface NatsConnectionSettings {
  /** One URL or a comma-separated list (a NATS cluster). */
  url: string;
  /** Connection name shown by the server (`silo-registry@host:pid`). */
  name: string;
  /** First-connect retry delay bounds, in ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  logger?: MessagingLogger;
  /** Extra nats.js options (tests use small timeouts). */
  options?: Partial<ConnectionOptions>;
}

export class NatsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NatsUnavailableError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One NATS connection per process, shared by the Nest transport and the request helpers.
 * Connects in the background and retries forever with a visible message while the server is
 * unreachable; once connected, nats.js reconnects forever on its own. Closing drains: in-flight
 * requests are answered and buffered publishes flushed before the socket closes.
 */
export class NatsConnectionService {
  private connection?: NatsConnection;
  private connecting?: Promise<NatsConnection>;
  private connected = false;
  private stopping = false;
  private readonly logger: MessagingLogger;

  constructor(private readonly settings: NatsConnectionSettings) {
    this.logger = settings.logger ?? new Logger('NATS');
  }

  get url(): string {
    return this.settings.url;
  }

  /** Starts connecting (once) and resolves when connected. */
  ready(): Promise<NatsConnection> {
    this.connecting ??= this.connectUntilReady();
    return this.connecting;
  }

  /** The live connection, or undefined while not (yet) connected. */
  current(): NatsConnection | undefined {
    return this.connected && this.connection && !this.connection.isClosed() ? this.connection : undefined;
  }

  isConnected(): boolean {
    return this.current() !== undefined;
  }

  /** The connection, or a clear error when NATS is not reachable right now. */
  require(): NatsConnection {
    const nc = this.current();
    if (!nc) throw new NatsUnavailableError(`not connected to NATS at ${this.settings.url}`);
    return nc;
  }

  async close(): Promise<void> {
    this.stopping = true;
    const nc = this.connection;
    this.connected = false;
    if (nc && !nc.isClosed()) {
      try {
        await nc.drain();
      } catch {
        await nc.close().catch(() => undefined);
      }
    }
  }

  private async connectUntilReady(): Promise<NatsConnection> {
    const min = this.settings.retryMinMs ?? 250;
    const max = this.settings.retryMaxMs ?? 5000;
    let delay = min;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new NatsUnavailableError('shutting down before NATS was reached');
      try {
        const nc = await connect({
          servers: this.settings.url.split(',').map((s) => s.trim()),
          name: this.settings.name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: 2000,
          pingInterval: 10_000,
          ...this.settings.options,
        });
        this.connection = nc;
        this.connected = true;
        this.logger.log(`connected to NATS at ${nc.getServer()} (server ${nc.info?.version ?? 'unknown'})`);
        void this.watch(nc);
        return nc;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.logger.warn(`NATS not reachable at ${this.settings.url} (${reason}); retrying in ${delay} ms (attempt ${attempt})`);
        await sleep(delay);
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        if (!this.stopping) this.logger.warn(`disconnected from NATS ${String(status.data)}; reconnecting`);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.log(`reconnected to NATS ${String(status.data)}`);
      } else if (status.type === 'error') {
        this.logger.error(`NATS error: ${String(status.data)}`);
      }
    }
    this.connected = false;
  }
}
