import { isRpcErrorBody, RpcErrorBody } from '@silo/contracts';
import { SiloError, ErrorCode, ErrorCodes } from '@silo/domain';
import { randomUUID } from 'node:crypto';

/**
 * Silo's services answer over NATS with NestJS's wire format, so Nest clients and plain code
 * speak one protocol: a request is `{ pattern, data, id }`; a reply is `{ id, response }` on
 * success or `{ id, err }` on failure, where `err` is an RpcErrorBody.
 */
export interface RequestEnvelope {
  pattern: string;
  data: unknown;
  id: string;
}

export interface ReplyEnvelope {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRequest(subject: string, data: unknown): Uint8Array {
  const envelope: RequestEnvelope = { pattern: subject, data, id: randomUUID() };
  return encoder.encode(JSON.stringify(envelope));
}

export function encodeEvent(subject: string, data: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ pattern: subject, data }));
}

/**
 * The server side of the wire format, for subjects served outside Nest's transport (names known
 * only at run time, leader-only subjects): decodes a request, runs HANDLER on its `data`, and
 * encodes the reply — `{id, response}`, or `{id, err}` with a structured RpcErrorBody.
 * ONUNEXPECTED hears errors that are not SiloErrors (bugs worth a log line).
 */
export async function answerRequest(bytes: Uint8Array, handler: (data: unknown) => Promise<unknown>, onUnexpected?: (err: unknown) => void): Promise<Uint8Array> {
  let id: string | undefined;
  let reply: ReplyEnvelope;
  try {
    const envelope = JSON.parse(decoder.decode(bytes)) as { id?: string; data?: unknown };
    id = envelope.id;
    reply = { id, response: await handler(envelope.data ?? {}) };
  } catch (err) {
    let body: RpcErrorBody;
    if (err instanceof SiloError) body = { code: err.code, message: err.message, details: err.details };
    else if (err instanceof SyntaxError) body = { code: 'VALIDATION_FAILED', message: 'the payload is not JSON' };
    else {
      body = { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
      onUnexpected?.(err);
    }
    reply = { id, err: body, isDisposed: true };
  }
  return encoder.encode(JSON.stringify(reply));
}

/** An error that a remote service answered with, kept with its original code. */
export class RemoteError extends SiloError {
  constructor(
    readonly subject: string,
    body: RpcErrorBody,
  ) {
    super(knownCode(body.code), body.message, body.details as Record<string, unknown> | undefined);
    this.remoteCode = body.code;
  }
  readonly remoteCode: string;
}

function knownCode(code: string): ErrorCode {
  return code in ErrorCodes ? (code as ErrorCode) : 'INTERNAL';
}

/** Decodes a reply; returns its `response` or throws RemoteError for an `err`. */
export function decodeReply(subject: string, bytes: Uint8Array): unknown {
  let envelope: ReplyEnvelope;
  try {
    envelope = JSON.parse(decoder.decode(bytes)) as ReplyEnvelope;
  } catch {
    throw new SiloError('INTERNAL', `the reply on ${subject} is not JSON`);
  }
  if (envelope.err !== undefined && envelope.err !== null) {
    if (isRpcErrorBody(envelope.err)) throw new RemoteError(subject, envelope.err);
    const message = typeof envelope.err === 'string' ? envelope.err : JSON.stringify(envelope.err);
    // Nest answers this when a replica has no handler: the subject is served by no one we know.
    if (/no matching message handler/i.test(message)) throw new SiloError('UNAVAILABLE', `no handler for ${subject}`);
    throw new SiloError('INTERNAL', `${subject} failed: ${message}`);
  }
  return envelope.response;
}
