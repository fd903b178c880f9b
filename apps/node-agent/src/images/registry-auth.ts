import { Clock } from '../snapshots/clock';
import { RegistryUnauthorized, RegistryUnreachable } from './errors/image-errors';
import { HttpTransport } from './http-transport';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface AuthChallenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** Parses a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return { scheme, params };
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens are used until shortly before they expire; a token without expires_in lives 60 s (the spec's default). */
const EXPIRY_MARGIN_MS = 10_000;
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * The Docker token flow and Basic auth for registries. Remembers per registry how it wants to
 * be spoken to (the challenge of its first 401), so later requests authenticate up front, and
 * caches bearer tokens per registry, scope and user until they expire.
 */
export class RegistryAuthenticator {
  private readonly challenges = new Map<string, AuthChallenge>();
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly http: HttpTransport,
    private readonly clock = new Clock(),
  ) {}

  /** The Authorization to send up front for this registry and scope, if it is known. */
  async authorizationFor(host: string, scope: string, credentials: RegistryCredentials | undefined): Promise<string | undefined> {
    const challenge = this.challenges.get(host);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return credentials ? basicAuthorization(credentials) : undefined;
    return `Bearer ${await this.bearer(host, challenge, scope, credentials)}`;
  }

  /**
   * After a 401: learns the challenge and returns the Authorization to retry with. Throws
   * RegistryUnauthorized when there is nothing better to try.
   */
  async answer(host: string, header: string | null, scope: string, credentials: RegistryCredentials | undefined, previous?: string): Promise<string> {
    const challenge = parseChallenge(header);
    if (!challenge) throw new RegistryUnauthorized(`${host} refused the request and offers no usable authentication (${header ?? 'no WWW-Authenticate'})`, { host });
    this.challenges.set(host, challenge);
    if (challenge.scheme === 'basic') {
      if (!credentials) throw new RegistryUnauthorized(`${host} requires credentials for ${scope}`, { host, scope });
      const basic = basicAuthorization(credentials);
      if (basic === previous) throw new RegistryUnauthorized(`${host} rejected the credentials of ${credentials.username} for ${scope}`, { host, scope });
      return basic;
    }
    const wanted = challenge.params['scope'] ?? scope;
    this.tokens.delete(this.key(host, wanted, credentials));
    const authorization = `Bearer ${await this.bearer(host, challenge, wanted, credentials)}`;
    if (authorization === previous) throw new RegistryUnauthorized(`${host} does not accept the token it issued for ${wanted}`, { host, scope: wanted });
    return authorization;
  }

  /** Forgets a token the registry refused. */
  invalidate(host: string, scope: string, credentials: RegistryCredentials | undefined): void {
    this.tokens.delete(this.key(host, scope, credentials));
  }

  private key(host: string, scope: string, credentials: RegistryCredentials | undefined): string {
    return `${host}\n${scope}\n${credentials?.username ?? ''}\n${credentials?.password ?? ''}`;
  }

  private async bearer(host: string, challenge: AuthChallenge, scope: string, credentials: RegistryCredentials | undefined): Promise<string> {
    const key = this.key(host, scope, credentials);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.clock.now()) return cached.token;
    const realm = challenge.params['realm'];
    if (!realm) throw new RegistryUnauthorized(`${host} asks for a bearer token but names no realm`, { host });
    const url = new URL(realm);
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (credentials) headers['Authorization'] = basicAuthorization(credentials);
    let res: Response;
    try {
      res = await this.http.fetch(url.toString(), { headers });
    } catch (err) {
      throw new RegistryUnreachable(`token endpoint ${url.origin} unreachable: ${describe(err)}`, { realm });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new RegistryUnauthorized(
        credentials ? `${host} rejected the credentials of ${credentials.username}` : `${host} requires credentials for ${scope}`,
        { host, scope, status: res.status },
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new RegistryUnauthorized(`token request to ${url.origin} failed with HTTP ${res.status}: ${text.slice(0, 200)}`, { host, status: res.status });
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryUnauthorized(`token endpoint ${url.origin} answered without a token`, { host });
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    // Measured from our clock, not issued_at: clocks of hosts differ, and the margin covers the request.
    const expiresAt = this.clock.now() + Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, (seconds * 1000) / 2);
    this.tokens.set(key, { token, expiresAt });
    return token;
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return code ? `${err.message} (${code})` : cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
