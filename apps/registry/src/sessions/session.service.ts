import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PrincipalView, SessionCreateReply, SessionCreateRequest, SessionRevokeReply } from '@silo/contracts';
import { Clock } from '@silo/service-kit';
import { RegistryAuthService } from '../auth/auth.service';
import { InvalidCredentials } from '../auth/errors/auth.errors';
import { PrincipalResolver } from '../auth/principal-resolver';
import { RegistryConfig } from '../config/registry.config';
import { AccountEvents } from '../events/account-events';
import { SessionExpired, SessionUnknown } from './errors/session.errors';
import { SessionStore } from './session-store';
import { hashSessionToken, newSessionToken } from './session-token';

/** Expired sessions answer SESSION_EXPIRED for a day (so clients say "log in again"), then go. */
export const SESSION_PURGE_GRACE_MS = 24 * 3600 * 1000;
export const SESSION_PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** Login sessions (`silo login` / `silo logout`): opaque random tokens, stored only as hashes. */
@Injectable()
export class SessionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: SessionStore,
    private readonly auth: RegistryAuthService,
    private readonly principals: PrincipalResolver,
    private readonly events: AccountEvents,
    private readonly config: RegistryConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    void this.purge();
    this.timer = setInterval(() => void this.purge(), SESSION_PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async create(request: SessionCreateRequest): Promise<SessionCreateReply> {
    const verified = await this.auth.verifyCredentials(request.username, request.password);
    if (!verified) throw new InvalidCredentials('invalid username or password');
    const principal = await this.principals.resolve(verified.principal);
    if (!principal) throw new InvalidCredentials('invalid username or password');
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + (request.ttlSeconds ?? this.config.sessionTtlSeconds) * 1000).toISOString();
    const token = newSessionToken();
    await this.store.create({
      tokenHash: hashSessionToken(token),
      account: principal.name,
      kind: principal.kind,
      createdAt: now.toISOString(),
      expiresAt,
    });
    return { token, expiresAt, principal: { ...principal, via: 'session', expiresAt } };
  }

  /** The principal behind a session token: UNAUTHORIZED when unknown or revoked, SESSION_EXPIRED past its expiry. */
  async verify(token: string): Promise<PrincipalView> {
    const found = await this.store.lookUp(token, this.clock.now());
    if (!found) throw new SessionUnknown();
    const { session, live } = found;
    if (!live) throw new SessionExpired(session.expiresAt);
    const principal = await this.principals.resolve({ kind: session.kind, name: session.account });
    if (!principal) throw new InvalidCredentials('the account behind this session no longer exists');
    return { ...principal, via: 'session', expiresAt: session.expiresAt };
  }

  async revoke(token: string): Promise<SessionRevokeReply> {
    const session = await this.store.revoke(hashSessionToken(token));
    if (session) this.events.changed(session.account, 'session-revoked');
    return { revoked: session ? 1 : 0 };
  }

  /** Deletes sessions past their expiry by more than the grace period; how many. */
  async purge(): Promise<number> {
    try {
      const cutoff = new Date(this.clock.now().getTime() - SESSION_PURGE_GRACE_MS).toISOString();
      const purged = await this.store.purgeExpired(cutoff);
      if (purged > 0) this.logger.log(`purged ${purged} expired session(s)`);
      return purged;
    } catch (err) {
      this.logger.warn(`purging expired sessions failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }
}
