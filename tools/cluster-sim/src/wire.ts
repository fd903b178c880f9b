import { randomUUID } from 'node:crypto';

/**
 * Silo's wire format (Nest's NATS envelope), spoken with the plain `nats` package: a request is
 * `{ pattern, data, id }`, its reply `{ id, response }` or `{ id, err }`; an event `{ pattern, data }`.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface RpcError {
  code: string;
  message: string;
  details?: unknown;
}

export function encodeRequest(subject: string, data: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ pattern: subject, data, id: randomUUID() }));
}

export function encodeEvent(subject: string, data: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ pattern: subject, data }));
}

export function encodeReply(id: string | undefined, response: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ id, response, isDisposed: true }));
}

export function encodeErrorReply(id: string | undefined, err: RpcError): Uint8Array {
  return encoder.encode(JSON.stringify({ id, err, isDisposed: true }));
}

/** The `{ pattern, data, id }` of an incoming request or event (tolerates a bare payload). */
export function decodeIncoming(bytes: Uint8Array): { data: unknown; id?: string } {
  const parsed = JSON.parse(decoder.decode(bytes)) as unknown;
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'data' in parsed) {
    const envelope = parsed as { data: unknown; id?: unknown };
    return { data: envelope.data, id: typeof envelope.id === 'string' ? envelope.id : undefined };
  }
  return { data: parsed };
}

/** A failed RPC, with the remote error's code. */
export class RemoteCallError extends Error {
  constructor(
    readonly subject: string,
    readonly code: string,
    message: string,
  ) {
    super(`${subject}: ${code}: ${message}`);
  }
}

/** The `response` of a reply, or a RemoteCallError for its `err`. */
export function decodeReply<T = unknown>(subject: string, bytes: Uint8Array): T {
  const envelope = JSON.parse(decoder.decode(bytes)) as { response?: unknown; err?: unknown };
  if (envelope.err !== undefined && envelope.err !== null) {
    const err = envelope.err as Partial<RpcError>;
    if (typeof err === 'object' && typeof err.code === 'string') throw new RemoteCallError(subject, err.code, String(err.message ?? ''));
    throw new RemoteCallError(subject, 'INTERNAL', typeof envelope.err === 'string' ? envelope.err : JSON.stringify(envelope.err));
  }
  return envelope.response as T;
}
