import { Injectable } from '@nestjs/common';
import { AdminCredentialsStore } from '@silo/service-kit';
import { createHash, timingSafeEqual } from 'node:crypto';
import { RegistryConfig } from '../config/registry.config';
import { AccountDirectory } from '../accounts/account-directory';
import { AccountEntity } from '../accounts/account.entities';
import { PasswordHasher } from '../accounts/password-hasher';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { Action, ANONYMOUS, formatScope, grants, parseScope, Principal, ResourceAccess } from './access';
import { allowedActions, canListCatalog, namespaceOf } from './access-policy';
import { AccessDenied, AuthenticationRequired } from './errors/auth.errors';
import { IssuedToken, TokenService } from './token.service';
import { Clock } from '@silo/service-kit';
import { SessionStore } from '../sessions/session-store';
import { isSessionToken } from '../sessions/session-token';

/** Who made a request and what they may do: from Basic credentials or a Bearer token. */
export interface Caller {
  principal: Principal;
  /** Set for Bearer tokens: the token's grants bound what the principal may do. */
  tokenAccess?: ResourceAccess[];
  /** The request carried credentials that did not verify. */
  rejected?: string;
}

/** Credentials that verified: the principal, and the account row for users and robots. */
export interface VerifiedCredentials {
  principal: Principal;
  account?: AccountEntity;
}

const sha = (text: string) => createHash('sha256').update(text).digest();
const same = (a: string, b: string) => timingSafeEqual(sha(a), sha(b));

@Injectable()
export class RegistryAuthService {
  constructor(
    private readonly config: RegistryConfig,
    private readonly tokens: TokenService,
    private readonly metadata: RegistryMetadata,
    private readonly directory: AccountDirectory,
    private readonly hasher: PasswordHasher,
    private readonly adminStore: AdminCredentialsStore,
    private readonly sessions: SessionStore,
    private readonly clock: Clock,
  ) {}

  /** Checks username and password: the generated admin, then users and robot tokens. */
  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    return (await this.verifyCredentials(username, password))?.principal;
  }

  async verifyCredentials(username: string, password: string): Promise<VerifiedCredentials | undefined> {
    // `silo login` keeps a session token, not the password: it works as the password of its own account.
    if (isSessionToken(password)) return this.verifySessionPassword(username, password);
    const admin = this.adminStore.tryRead();
    if (admin && same(username, admin.username)) return same(password, admin.password) ? { principal: { kind: 'admin', name: admin.username } } : undefined;
    const account = await this.directory.account(username);
    if (!account || !(await this.hasher.verify(password, account.secretHash))) return undefined;
    return { principal: { kind: account.kind, name: account.name }, account };
  }

  private async verifySessionPassword(username: string, token: string): Promise<VerifiedCredentials | undefined> {
    const found = await this.sessions.lookUp(token, this.clock.now());
    if (!found?.live || found.session.account !== username) return undefined;
    const { session } = found;
    if (session.kind === 'admin') return { principal: { kind: 'admin', name: session.account } };
    const account = await this.directory.account(username);
    return account ? { principal: { kind: account.kind, name: account.name }, account } : undefined;
  }

  async identify(authorization: string | undefined): Promise<Caller> {
    if (!authorization) return { principal: ANONYMOUS };
    const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const principal = colon > 0 ? await this.verifyPassword(decoded.slice(0, colon), decoded.slice(colon + 1)) : undefined;
      return principal ? { principal } : { principal: ANONYMOUS, rejected: 'invalid username or password' };
    }
    if (scheme?.toLowerCase() === 'bearer') {
      const verified = await this.tokens.verify(value);
      if (!verified) return { principal: ANONYMOUS, rejected: 'invalid or expired token' };
      // A deleted account's tokens stop working at once, not when they expire.
      if ((verified.kind === 'user' || verified.kind === 'robot') && !(await this.directory.account(verified.subject))) {
        return { principal: ANONYMOUS, rejected: 'the account behind this token no longer exists' };
      }
      return { principal: { kind: verified.kind, name: verified.subject }, tokenAccess: verified.access };
    }
    return { principal: ANONYMOUS, rejected: `unsupported authorization scheme ${scheme}` };
  }

  /** What `caller` may do on `repository` right now. */
  async permitted(caller: Caller, repository: string): Promise<Set<Action>> {
    const repo = await this.metadata.repository(repository);
    const team = namespaceOf(repository);
    const role =
      team && (caller.principal.kind === 'user' || caller.principal.kind === 'robot') ? await this.directory.role(team, caller.principal.name) : undefined;
    const allowed = allowedActions(caller.principal, { isPublic: repo?.isPublic ?? false, role });
    if (!caller.tokenAccess) return allowed;
    return new Set([...allowed].filter((action) => grants(caller.tokenAccess ?? [], repository, action)));
  }

  /**
   * Throws unless all actions are permitted: 401 with the token-flow challenge for exactly these
   * actions when the client could do better by authenticating (anonymous, bad credentials, or a
   * token that lacks a scope its holder could get), 403 DENIED otherwise.
   */
  async require(caller: Caller, repository: string, actions: Action[], base: string): Promise<void> {
    const permitted = await this.permitted(caller, repository);
    if (actions.every((a) => permitted.has(a))) return;
    const scope = formatScope({ type: 'repository', name: repository, actions });
    const reauthenticate =
      caller.principal.kind === 'anonymous' ||
      caller.rejected !== undefined ||
      (caller.tokenAccess !== undefined && (await this.wouldAllow(caller.principal, repository, actions)));
    if (reauthenticate) {
      throw new AuthenticationRequired(this.challenge(base, scope), caller.rejected ?? 'authentication required', { repository, actions });
    }
    throw new AccessDenied(`${caller.principal.name} may not ${actions.join(',')} ${repository}`, { repository, actions });
  }

  /** For `/v2/` itself and the catalog: any valid credentials. */
  requireAuthenticated(caller: Caller, base: string, scope?: string): void {
    if (caller.principal.kind !== 'anonymous' && !caller.rejected) return;
    throw new AuthenticationRequired(this.challenge(base, scope), caller.rejected ?? 'authentication required');
  }

  canListCatalog(caller: Caller): boolean {
    return canListCatalog(caller.principal);
  }

  /** The token endpoint: grants the intersection of what is asked and what is allowed. */
  async issueToken(caller: Caller, scopes: string[]): Promise<IssuedToken> {
    const granted: ResourceAccess[] = [];
    for (const text of scopes) {
      const asked = parseScope(text);
      if (!asked || asked.type !== 'repository') continue;
      const allowed = await this.permitted({ principal: caller.principal }, asked.name);
      const wanted = asked.actions.includes('*') ? ['pull', 'push', 'delete'] : asked.actions;
      const actions = wanted.filter((a): a is Action => allowed.has(a as Action));
      if (actions.length > 0) granted.push({ type: 'repository', name: asked.name, actions });
    }
    return this.tokens.issue(caller.principal, granted);
  }

  challenge(base: string, scope?: string): string {
    const realm = `${this.config.publicUrl?.replace(/\/+$/, '') ?? base}/auth/token`;
    return `Bearer realm="${realm}",service="${this.config.serviceName}"${scope ? `,scope="${scope}"` : ''}`;
  }

  private async wouldAllow(principal: Principal, repository: string, actions: Action[]): Promise<boolean> {
    const permitted = await this.permitted({ principal }, repository);
    return actions.every((a) => permitted.has(a));
  }
}
