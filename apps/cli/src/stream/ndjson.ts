/** The lines of a streamed response body, as they arrive (the last one even without a newline). */
export async function* lines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      yield buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
    }
  }
  buffered += decoder.decode();
  if (buffered) yield buffered;
}

export interface LogLine {
  task?: string;
  time?: string;
  stream?: 'stdout' | 'stderr';
  text?: string;
  keepalive?: boolean;
}

/** Parsed NDJSON objects (blank lines and keepalives skipped). */
export async function* logLines(body: ReadableStream<Uint8Array> | null): AsyncGenerator<LogLine> {
  for await (const line of lines(body)) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as LogLine;
    if (parsed.keepalive) continue;
    yield parsed;
  }
}
