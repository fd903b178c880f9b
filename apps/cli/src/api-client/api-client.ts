import type { ApiTarget } from '../context/local-context';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  accept?: string;
}

/** The Authorization header for a target: its session token, else Basic user:password. */
export function authorizationFor(target: ApiTarget): string | undefined {
  if (target.token) return `Bearer ${target.token}`;
  if (target.username !== undefined && target.password !== undefined) {
    return `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  }
  return undefined;
}

/** A small HTTP client for the api: credentials, a timeout, and errors that say what to do. */
export class ApiClient {
  constructor(
    readonly target: ApiTarget,
    private readonly timeoutMs = 10_000,
  ) {}

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.json<T>('GET', path, options);
  }

  post<T>(path: string, timeoutMs?: number, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, { timeoutMs, body });
  }

  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.json<T>(method, path, { body, timeoutMs });
  }

  /** A request whose response is read as a stream (logs, events): the response once its status is OK. */
  async stream(path: string, options: RequestOptions & { method?: string } = {}): Promise<Response> {
    const res = await this.fetch(options.method ?? 'GET', path, { ...options, timeoutMs: 0 });
    if (!res.ok) await this.fail(path, res);
    return res;
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const res = await this.fetch(method, path, options);
    if (!res.ok) await this.fail(path, res);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async fetch(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const authorization = authorizationFor(this.target);
    if (authorization) headers['authorization'] = authorization;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    try {
      return await fetch(`${this.target.apiUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: signals.length ? AbortSignal.any(signals) : undefined,
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.name : String(err));
      throw new ApiError(`cannot reach the api at ${this.target.apiUrl} (${cause}). Is Silo running? Start it with npm start.`);
    }
  }

  private async fail(path: string, res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: { code?: string; message?: string; details?: unknown[] } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = text ? { message: text.slice(0, 500) } : undefined;
    }
    if (res.status === 401) {
      if (body?.code === 'SESSION_EXPIRED' && this.target.context) {
        throw new ApiError(`your session for ${this.target.context} expired: run silo login ${this.target.apiUrl} --context ${this.target.context}`, 401, body.code);
      }
      if (this.target.context) {
        throw new ApiError(`the api at ${this.target.apiUrl} refused the session of context ${this.target.context} (${body?.message ?? 'unauthorized'}): run silo login again`, 401, body?.code);
      }
      throw new ApiError(`the api at ${this.target.apiUrl} refused the credentials from ${this.target.source}: ${body?.message ?? 'unauthorized'}`, 401, body?.code);
    }
    const details = Array.isArray(body?.details) ? body.details : undefined;
    const problems = details?.map(describeDetail).filter(Boolean) ?? [];
    const message = `${path}: ${res.status} ${body?.code ?? ''} ${body?.message ?? ''}`.replace(/\s+/g, ' ').trim();
    throw new ApiError(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message, res.status, body?.code, details);
  }
}

function describeDetail(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  const d = detail as { property?: string; constraints?: Record<string, string> };
  const constraints = d.constraints ? Object.values(d.constraints).join('; ') : '';
  return [d.property, constraints].filter(Boolean).join(': ');
}
