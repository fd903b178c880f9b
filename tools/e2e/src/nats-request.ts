import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';

/** A request in Silo's wire format (see libs/messaging/envelope.ts), as any NATS client can send it. */
export async function natsRequest<T>(nc: NatsConnection, subject: string, data: unknown, timeout = 10_000): Promise<T> {
  const msg = await nc.request(subject, new TextEncoder().encode(JSON.stringify({ pattern: subject, data, id: randomUUID() })), { timeout });
  const reply = JSON.parse(new TextDecoder().decode(msg.data)) as { response?: T; err?: { code: string; message: string } };
  if (reply.err) throw Object.assign(new Error(reply.err.message), { code: reply.err.code });
  return reply.response as T;
}
