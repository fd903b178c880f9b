import { Injectable } from '@nestjs/common';
import type { PrincipalView } from '@silo/contracts';
import { AdminCredentialsStore } from '@silo/service-kit';
import { AccountDirectory } from '../accounts/account-directory';
import { accountRole, teamsOf } from '../accounts/account-views';
import { Principal } from './access';

/** A principal as the api sees it, before saying how it authenticated. */
export type ResolvedPrincipal = Omit<PrincipalView, 'via' | 'expiresAt'>;

/**
 * Who a principal is right now: the generated admin while its credentials exist; an account
 * while it exists, with its current role and teams. Undefined when there is no one any more.
 */
@Injectable()
export class PrincipalResolver {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly adminStore: AdminCredentialsStore,
  ) {}

  async resolve(principal: Principal): Promise<ResolvedPrincipal | undefined> {
    if (principal.kind === 'anonymous' || !principal.name) return undefined;
    if (principal.kind === 'admin') {
      const admin = this.adminStore.tryRead();
      return admin && admin.username === principal.name ? { kind: 'admin', name: admin.username, role: 'admin', teams: [] } : undefined;
    }
    const account = await this.directory.account(principal.name);
    if (!account || account.kind !== principal.kind) return undefined;
    const memberships = await this.directory.memberships([account.name]);
    return { kind: account.kind, name: account.name, role: accountRole(account), teams: teamsOf(account, memberships) };
  }
}
