import { createParser, EventSourceMessage } from 'eventsource-parser';

/** Server-Sent Events of a streamed response body, as eventsource-parser parses them. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array> | null): AsyncGenerator<EventSourceMessage> {
  if (!body) return;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (queue.length) yield queue.shift()!;
  }
  parser.feed(decoder.decode());
  while (queue.length) yield queue.shift()!;
}
