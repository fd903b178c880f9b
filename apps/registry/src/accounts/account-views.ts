import type { AccountRole, AccountView, TeamMembership, TeamMemberView, TeamView } from '@silo/contracts';
import { AccountEntity, TeamEntity, TeamMemberEntity } from './account.entities';

/** The team a robot acts for: the part of its name before `+`. */
export function robotTeam(name: string): string | undefined {
  const plus = name.indexOf('+');
  return plus > 0 ? name.slice(0, plus) : undefined;
}

/** Robots act as members of their one team; users have the role they were given. */
export function accountRole(account: Pick<AccountEntity, 'kind' | 'role'>): AccountRole {
  return account.kind === 'robot' ? 'member' : (account.role ?? 'member');
}

/** An account's teams, in name order; a robot's are its own team only, whatever else was set. */
export function teamsOf(account: Pick<AccountEntity, 'name' | 'kind'>, memberships: TeamMemberEntity[]): TeamMembership[] {
  const own = account.kind === 'robot' ? robotTeam(account.name) : undefined;
  return memberships
    .filter((m) => m.account === account.name && (account.kind !== 'robot' || m.team === own))
    .map((m) => ({ team: m.team, role: m.role }))
    .sort((a, b) => a.team.localeCompare(b.team));
}

/** What the api may show of an account: never its secret. */
export function accountView(account: AccountEntity, memberships: TeamMemberEntity[]): AccountView {
  return { name: account.name, kind: account.kind, role: accountRole(account), teams: teamsOf(account, memberships), createdAt: account.createdAt };
}

export function teamView(team: TeamEntity, memberships: TeamMemberEntity[], usedBytes: number): TeamView {
  const members: TeamMemberView[] = memberships
    .filter((m) => m.team === team.name)
    .map((m) => ({ account: m.account, role: m.role }))
    .sort((a, b) => a.account.localeCompare(b.account));
  return { name: team.name, quotaBytes: team.quotaBytes, usedBytes, members, createdAt: team.createdAt };
}
