import type { LogLine, LoginReply, Principal } from './types';

/**
 * The api client: JSON over `/api/v1` with the session token as a Bearer header. The session
 * lives in sessionStorage (one tab, gone with it). A 401 from any call ends the session and
 * tells the app, which shows the login page with the reason.
 */

const STORAGE_KEY = 'silo.session';
const BASE = '/api/v1';

export interface Session {
  token: string;
  expiresAt: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message with each validation problem, as the api lists them. */
  get fullMessage(): string {
    const problems = this.details
      .map((d) => {
        const detail = d as { property?: string; constraints?: Record<string, string> };
        return detail.constraints ? Object.values(detail.constraints).join('; ') : '';
      })
      .filter(Boolean);
    return problems.length > 0 ? `${this.message}: ${problems.join('; ')}` : this.message;
  }
}

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as Session;
    return typeof session.token === 'string' ? session : undefined;
  } catch {
    return undefined;
  }
}

function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

type UnauthorizedListener = (error: ApiError) => void;
let onUnauthorized: UnauthorizedListener = () => {};

/** The app's handler for a session that stopped working (expired, revoked, account deleted). */
export function setUnauthorizedHandler(listener: UnauthorizedListener): void {
  onUnauthorized = listener;
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: { code?: string; message?: string; details?: unknown[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON (a proxy's page, an empty body): the status says enough
  }
  return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? `${res.status} ${res.statusText}`, body.details ?? []);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const session = loadSession();
  return { accept: 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}), ...extra };
}

async function checked(res: Response): Promise<Response> {
  if (res.ok) return res;
  const error = await errorOf(res);
  if (res.status === 401 && loadSession()) {
    saveSession(undefined);
    onUnauthorized(error);
  }
  throw error;
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'UNREACHABLE', 'cannot reach the api');
  }
  await checked(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

export async function login(username: string, password: string): Promise<Principal> {
  saveSession(undefined);
  const reply = await request<LoginReply>('POST', '/auth/login', { username, password });
  saveSession({ token: reply.token, expiresAt: reply.expiresAt });
  return reply.principal;
}

export async function whoami(): Promise<Principal> {
  return (await api.get<{ principal: Principal }>('/auth/whoami')).principal;
}

export async function logout(): Promise<void> {
  try {
    if (loadSession()) await request('POST', '/auth/logout', {});
  } catch {
    // already expired or revoked: signing out locally is all that is left
  } finally {
    saveSession(undefined);
  }
}

/** `/api/v1/events` for EventSource, which cannot send headers: the token goes in the query. */
export function eventsUrl(): string | undefined {
  const session = loadSession();
  return session ? `${BASE}/events?access_token=${encodeURIComponent(session.token)}` : undefined;
}

/**
 * Reads an NDJSON log stream (`…/logs?follow=true`) with fetch, so the Bearer header goes along;
 * calls `onLine` per line until the response ends or `signal` aborts. Keepalive lines are skipped.
 */
export async function streamLogs(path: string, signal: AbortSignal, onLine: (line: LogLine) => void): Promise<void> {
  const res = await checked(await fetch(`${BASE}${path}`, { headers: headers({ accept: 'application/x-ndjson' }), signal }));
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const handle = (raw: string): void => {
    if (!raw.trim()) return;
    let parsed: Partial<LogLine> & { keepalive?: boolean };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      return;
    }
    if (!parsed.keepalive && typeof parsed.text === 'string') onLine(parsed as LogLine);
  };
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(handle);
    }
    handle(buffered);
  } finally {
    reader.releaseLock();
  }
}
