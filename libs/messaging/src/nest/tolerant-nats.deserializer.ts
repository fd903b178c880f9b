import { IncomingRequestDeserializer } from '@nestjs/microservices/deserializers/incoming-request.deserializer';
import { randomUUID } from 'node:crypto';
import { InvalidJsonPayload } from './invalid-json-payload';

const decoder = new TextDecoder();

/**
 * Nest's NATS deserializer throws on a body that is not JSON, and treats a plain JSON request
 * (one not in Nest's `{pattern,data,id}` envelope, as `nats req` sends) as an event that is never
 * answered. This one turns garbage into an InvalidJsonPayload for validation to refuse, and gives
 * plain requests that carry a reply subject an id, so every request gets a structured answer.
 */
export class TolerantNatsDeserializer extends IncomingRequestDeserializer {
  override deserialize(value: Uint8Array, options?: Record<string, unknown>) {
    const text = decoder.decode(value);
    let decoded: unknown;
    if (text.trim() !== '') {
      try {
        decoded = JSON.parse(text);
      } catch {
        decoded = new InvalidJsonPayload(text.slice(0, 200));
      }
    }
    const external = this.isExternal(decoded);
    const message = super.deserialize(decoded, options) as { id?: string; pattern: unknown; data: unknown };
    if (external && message.id === undefined && options?.['replyTo']) message.id = randomUUID();
    return message as ReturnType<IncomingRequestDeserializer['deserialize']>;
  }
}
