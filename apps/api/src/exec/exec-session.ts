import { ExecOpenReply, EXEC_STDIN_HEADER, EXEC_STREAM_HEADER } from '@silo/contracts';
import type { WebSocket, RawData } from 'ws';
import type { NatsStreams, StreamMessage, Unsubscribe } from '../common/nats-streams.service';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Output frame prefixes without a TTY. */
const STDOUT = 1;
const STDERR = 2;

export interface ExecSessionOptions {
  tty: boolean;
  keepaliveMs: number;
  /** The window the session was opened with (ExecOpenRequest.windowBytes): output is acknowledged once the client's socket took it. */
  windowBytes: number;
}

/**
 * One WebSocket bridged to one agent exec session (libs/contracts exec-session):
 * client binary → stdin; client text `{resize}` / `{signal}` → control, `{eof}` → stdin EOF;
 * agent output → binary frames (prefixed 1/2 without a TTY); agent exit → text `{ exit }` and
 * close 1000. A client that goes away first kills the process (`{ close: true }`). Output is
 * acknowledged to the agent (`{ ack }`) as the WebSocket hands it to the client's connection, a
 * quarter window at a time: a slow client holds the process back instead of filling the api.
 */
export class ExecBridge {
  private session?: ExecOpenReply;
  private unsubscribe?: Unsubscribe;
  private keepalive?: NodeJS.Timeout;
  private exited = false;
  private alive = true;
  private readonly pendingInput: Array<() => void> = [];
  /** Output bytes sent on to the client, and acknowledged to the agent. */
  private delivered = 0;
  private acked = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly streams: NatsStreams,
    private readonly options: ExecSessionOptions,
  ) {
    ws.on('message', (data, isBinary) => this.fromClient(data, isBinary));
    ws.on('close', () => this.clientGone());
    ws.on('error', () => this.clientGone());
    ws.on('pong', () => (this.alive = true));
  }

  /** Subscribes to the output inbox; call before asking the agent to open the session. */
  listen(outputSubject: string): void {
    this.unsubscribe = this.streams.subscribe(outputSubject, (msg) => this.fromAgent(msg));
  }

  /** The agent opened the session: input may flow. */
  opened(session: ExecOpenReply): void {
    this.session = session;
    if (this.ws.readyState !== this.ws.OPEN) return this.clientGone();
    for (const send of this.pendingInput.splice(0)) send();
    this.keepalive = setInterval(() => {
      // A client that vanished without closing (no pong since the last ping) ends the session.
      if (!this.alive) return this.ws.terminate();
      this.alive = false;
      this.ws.ping();
      this.control({ keepalive: true });
    }, this.options.keepaliveMs);
  }

  /** The session could not be opened. */
  failed(error: { code: string; message: string }): void {
    this.stop();
    if (this.ws.readyState === this.ws.OPEN) {
      this.ws.send(JSON.stringify({ error: error }));
      this.ws.close(1011, error.code);
    }
  }

  private fromAgent(msg: StreamMessage): void {
    if (this.exited) return;
    const stream = msg.header(EXEC_STREAM_HEADER);
    if (stream === 'exit') {
      this.exited = true;
      let body: { exitCode?: number; error?: string } = {};
      try {
        body = JSON.parse(decoder.decode(msg.data)) as typeof body;
      } catch {
        body = { exitCode: -1, error: 'unreadable exit message' };
      }
      this.stop();
      if (this.ws.readyState === this.ws.OPEN) {
        this.ws.send(JSON.stringify(body.error ? { exit: body.exitCode ?? -1, error: body.error } : { exit: body.exitCode ?? -1 }));
        this.ws.close(1000);
      }
      return;
    }
    if (this.ws.readyState !== this.ws.OPEN) return;
    const bytes = msg.data.length;
    const sent = (err?: Error) => {
      if (!err) this.deliveredToClient(bytes);
    };
    if (this.options.tty) {
      this.ws.send(msg.data, { binary: true }, sent);
    } else {
      const frame = new Uint8Array(msg.data.length + 1);
      frame[0] = stream === 'stderr' ? STDERR : STDOUT;
      frame.set(msg.data, 1);
      this.ws.send(frame, { binary: true }, sent);
    }
  }

  private deliveredToClient(bytes: number): void {
    this.delivered += bytes;
    if (this.exited || this.delivered - this.acked < this.options.windowBytes / 4) return;
    this.acked = this.delivered;
    this.control({ ack: this.acked });
  }

  private fromClient(data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const act = () => {
      if (!this.session || this.exited) return;
      if (isBinary) {
        this.streams.publish(this.session.stdinSubject, bytes);
        return;
      }
      let message: { resize?: { cols?: unknown; rows?: unknown }; signal?: unknown; eof?: unknown };
      try {
        message = JSON.parse(bytes.toString('utf8')) as typeof message;
      } catch {
        this.ws.send(JSON.stringify({ error: { code: 'VALIDATION_FAILED', message: 'text frames must be JSON control messages' } }));
        return;
      }
      if (message.eof === true) this.streams.publish(this.session.stdinSubject, new Uint8Array(0), { [EXEC_STDIN_HEADER]: 'eof' });
      if (message.resize && typeof message.resize === 'object') {
        const { cols, rows } = message.resize;
        if (isDimension(cols) && isDimension(rows)) this.control({ resize: { cols, rows } });
      }
      if (typeof message.signal === 'string' && /^SIG[A-Z0-9]{1,10}$/.test(message.signal)) this.control({ signal: message.signal });
    };
    if (this.session) act();
    else this.pendingInput.push(act);
  }

  private control(message: object): void {
    if (!this.session) return;
    try {
      this.streams.publish(this.session.controlSubject, encoder.encode(JSON.stringify(message)));
    } catch {
      // NATS is away: the agent's idle timeout ends the session.
    }
  }

  private clientGone(): void {
    if (!this.exited && this.session) this.control({ close: true });
    this.exited = true;
    this.stop();
  }

  private stop(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

const isDimension = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1000;
