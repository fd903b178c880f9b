import { EXEC_STDIN_HEADER, EXEC_STREAM_HEADER } from '@silo/contracts';
import type { ExecExit, ExecProcess } from '../runtime/container-runtime';
import type { SessionMessage, SessionTransport } from './session-transport';

export interface ExecSessionOptions {
  id: string;
  outputSubject: string;
  stdinSubject: string;
  controlSubject: string;
  idleTimeoutMs: number;
  tty: boolean;
  /** Flow control: output is held back while this many bytes are unacknowledged (undefined: never). */
  windowBytes?: number;
}

/** The control messages of the protocol (libs/contracts exec-session). */
interface ControlMessage {
  resize?: { cols?: unknown; rows?: unknown };
  signal?: unknown;
  keepalive?: unknown;
  close?: unknown;
  ack?: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One interactive exec (the exec-session contract): the process's output goes to
 * `outputSubject` (header Silo-Stream: stdout|stderr), stdin and control messages come in on the
 * session's own subjects, silence for `idleTimeoutMs` kills it, and the last message is always
 * `Silo-Stream: exit` with `{ exitCode }` (or `{ exitCode: -1, error }`).
 */
export class ExecSession {
  private idleTimer?: NodeJS.Timeout;
  private readonly unsubscribers: Array<() => void> = [];
  private ended = false;
  /** Output bytes published, and acknowledged by the caller (flow control). */
  private sent = 0;
  private acked = 0;
  private held = false;
  private killed = false;
  /** Settles once the exit message has been published. */
  readonly finished: Promise<void>;

  constructor(
    readonly options: ExecSessionOptions,
    private readonly process: ExecProcess,
    private readonly transport: SessionTransport,
    private readonly onDebug: (message: string) => void = () => undefined,
  ) {
    this.unsubscribers.push(transport.subscribe(options.stdinSubject, (m) => this.onStdin(m)));
    this.unsubscribers.push(transport.subscribe(options.controlSubject, (m) => this.onControl(m)));
    process.stdout.on('data', (chunk: Buffer) => this.output('stdout', chunk));
    process.stderr.on('data', (chunk: Buffer) => this.output(options.tty ? 'stdout' : 'stderr', chunk));
    this.touch();
    this.finished = process.exited.then((exit) => this.end(exit));
  }

  /** Kills the process; the exit message follows when it is gone. */
  close(): void {
    this.kill();
  }

  /** Whether output is held back now, waiting for acknowledgements. */
  get holding(): boolean {
    return this.held;
  }

  /** A killed process's remaining output is let through, so that its exit can be read. */
  private kill(): void {
    this.killed = true;
    this.release();
    this.process.kill();
  }

  private hold(): void {
    if (this.held || this.killed) return;
    this.held = true;
    this.process.stdout.pause();
    this.process.stderr.pause();
  }

  private release(): void {
    if (!this.held) return;
    this.held = false;
    this.process.stdout.resume();
    this.process.stderr.resume();
  }

  private touch(): void {
    if (this.ended) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.onDebug(`exec session ${this.options.id}: no input for ${this.options.idleTimeoutMs} ms, killing it`);
      this.kill();
    }, this.options.idleTimeoutMs);
  }

  private onStdin(message: SessionMessage): void {
    this.touch();
    if (message.data.length > 0) this.process.write(message.data);
    if (message.header(EXEC_STDIN_HEADER)?.toLowerCase() === 'eof') this.process.endInput();
  }

  private onControl(message: SessionMessage): void {
    this.touch();
    let control: ControlMessage;
    try {
      control = JSON.parse(decoder.decode(message.data)) as ControlMessage;
    } catch {
      this.onDebug(`exec session ${this.options.id}: a control message that is not JSON`);
      return;
    }
    if (typeof control !== 'object' || control === null) return;
    if (control.resize && isSize(control.resize.cols) && isSize(control.resize.rows)) {
      if (this.options.tty) this.process.resize(control.resize.cols, control.resize.rows);
    }
    if (typeof control.signal === 'string' || typeof control.signal === 'number') {
      try {
        this.process.signal(String(control.signal));
      } catch {
        this.onDebug(`exec session ${this.options.id}: not a signal: ${String(control.signal)}`);
      }
    }
    if (typeof control.ack === 'number' && Number.isSafeInteger(control.ack) && control.ack > this.acked && control.ack <= this.sent) {
      this.acked = control.ack;
      if (this.options.windowBytes !== undefined && this.sent - this.acked < this.options.windowBytes) this.release();
    }
    if (control.close === true) this.kill();
  }

  private output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.sent += chunk.length;
    this.publish(chunk, stream);
    if (this.options.windowBytes !== undefined && this.sent - this.acked >= this.options.windowBytes) this.hold();
  }

  private end(exit: ExecExit): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    const body = exit.error === undefined ? { exitCode: exit.exitCode } : { exitCode: exit.exitCode, error: exit.error };
    this.publish(encoder.encode(JSON.stringify(body)), 'exit');
  }

  private publish(data: Uint8Array, stream: 'stdout' | 'stderr' | 'exit'): void {
    try {
      this.transport.publish(this.options.outputSubject, data, { [EXEC_STREAM_HEADER]: stream });
    } catch (err) {
      // NATS is down: the caller cannot hear us; the idle timeout ends the session.
      this.onDebug(`exec session ${this.options.id}: cannot publish ${stream}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1000;
}
