import { Injectable } from '@nestjs/common';
import { PrincipalView } from '@silo/contracts';
import { Clock } from '@silo/service-kit';
import { AccountDirectory } from '../accounts/account-directory';
import { RegistryConfig } from '../config/registry.config';
import { AccountEvents } from '../events/account-events';
import { SessionExpired } from '../sessions/errors/session.errors';
import { SessionService } from '../sessions/session.service';
import { isSessionToken } from '../sessions/session-token';
import { decodeBasic, parseAuthorization } from './authorization-header';
import { RegistryAuthService } from './auth.service';
import { CredentialCache } from './credential-cache';
import { InvalidCredentials } from './errors/auth.errors';
import { PrincipalResolver } from './principal-resolver';
import { TokenService } from './token.service';

/**
 * `silo.registry.auth.verify`: who an Authorization header value belongs to, for the api on every
 * request. Basic (users, robots, the generated admin), Bearer session tokens and Bearer registry
 * JWTs. Successful Basic checks of accounts are remembered briefly (scrypt is slow by design), and
 * forgotten at once when the account changes here or on another replica; every answer reads the
 * account's current role and teams.
 */
@Injectable()
export class IdentityService {
  private readonly cache: CredentialCache;

  constructor(
    private readonly auth: RegistryAuthService,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly principals: PrincipalResolver,
    private readonly directory: AccountDirectory,
    events: AccountEvents,
    config: RegistryConfig,
    clock: Clock,
  ) {
    this.cache = new CredentialCache({ ttlMs: config.authCacheSeconds * 1000, nowMs: () => clock.monotonicMs() });
    events.onChange((event) => this.cache.forget(event.name));
  }

  /** Entries currently cached (for tests and metrics). */
  get cachedCredentials(): number {
    return this.cache.size;
  }

  async verify(authorization: string): Promise<PrincipalView> {
    const { scheme, value } = parseAuthorization(authorization);
    if (scheme === 'basic') return this.basic(authorization, value);
    if (scheme === 'bearer') {
      if (!value) throw new InvalidCredentials('empty bearer token');
      return isSessionToken(value) ? this.sessions.verify(value) : this.registryToken(value);
    }
    throw new InvalidCredentials(`unsupported authorization scheme ${scheme || '(none)'}`);
  }

  private async basic(header: string, value: string): Promise<PrincipalView> {
    const credentials = decodeBasic(value);
    if (!credentials) throw new InvalidCredentials('malformed Basic credentials');
    const key = CredentialCache.key(header.trim());
    const cached = this.cache.get(key);
    if (cached) {
      // The account is read anyway (role and teams are always current): a changed secret or a
      // deleted account is noticed here even if no event arrived.
      const account = await this.directory.account(cached.account);
      if (account && account.secretHash === cached.secretHash) {
        const principal = await this.principals.resolve({ kind: account.kind, name: account.name });
        if (principal) return { ...principal, via: 'basic' };
      }
      this.cache.forget(cached.account);
    }
    const generation = this.cache.generation(credentials.username);
    const verified = await this.auth.verifyCredentials(credentials.username, credentials.password);
    if (!verified) throw new InvalidCredentials('invalid username or password');
    const principal = await this.principals.resolve(verified.principal);
    if (!principal) throw new InvalidCredentials('invalid username or password');
    if (verified.account) this.cache.set(key, { account: verified.account.name, secretHash: verified.account.secretHash }, generation);
    return { ...principal, via: 'basic' };
  }

  private async registryToken(token: string): Promise<PrincipalView> {
    const checked = await this.tokens.check(token);
    if (checked.status === 'expired') throw new SessionExpired();
    if (checked.status === 'invalid') throw new InvalidCredentials('invalid bearer token');
    const principal = await this.principals.resolve({ kind: checked.token.kind, name: checked.token.subject });
    if (!principal) throw new InvalidCredentials('the token names no account that exists (deleted, or an anonymous token)');
    return { ...principal, via: 'registry-token', ...(checked.token.expiresAt ? { expiresAt: checked.token.expiresAt.toISOString() } : {}) };
  }
}
