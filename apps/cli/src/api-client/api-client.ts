import type { ApiTarget } from '../context/local-context';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A small HTTP client for the api: credentials, a timeout, and errors that say what to do. */
export class ApiClient {
  constructor(
    private readonly target: ApiTarget,
    private readonly timeoutMs = 10_000,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, timeoutMs?: number, body?: object): Promise<T> {
    return this.call<T>('POST', path, timeoutMs, body);
  }

  private async call<T>(method: string, path: string, timeoutMs = this.timeoutMs, payload?: object): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.target.username !== undefined && this.target.password !== undefined) {
      headers['authorization'] = `Basic ${Buffer.from(`${this.target.username}:${this.target.password}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(`${this.target.apiUrl}${path}`, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.name : String(err));
      throw new ApiError(`cannot reach the api at ${this.target.apiUrl} (${cause}). Is Silo running? Start it with npm start.`);
    }
    const body = (await res.json().catch(() => undefined)) as { code?: string; message?: string } | undefined;
    if (res.status === 401) {
      throw new ApiError(`the api at ${this.target.apiUrl} refused the credentials from ${this.target.source}: ${body?.message ?? 'unauthorized'}`, 401, body?.code);
    }
    if (!res.ok) throw new ApiError(`${path}: ${res.status} ${body?.code ?? ''} ${body?.message ?? ''}`.trim(), res.status, body?.code);
    return body as T;
  }
}
