/**
 * The agent's HTTP client for registries: one method, so tests can count or refuse requests and
 * everything else can be faked. Redirects (blob GETs answer 307 to a signed layer-store URL) are
 * followed; fetch drops Authorization when a redirect changes origin.
 */
export class HttpTransport {
  constructor(private readonly headersTimeoutMs = 30_000) {}

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no response from ${new URL(url).host} within ${this.headersTimeoutMs} ms`)), this.headersTimeoutMs);
    const outer = init.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    try {
      // Only the wait for the response headers is bounded here; a body streams as long as it flows.
      return await fetch(url, { redirect: 'follow', ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }
}
