import { Injectable } from '@nestjs/common';
import {
  AccountCreateReply,
  AccountDeleteReply,
  AccountListReply,
  AccountView,
  PrincipalView,
  Subjects,
  TeamDeleteReply,
  TeamListReply,
  TeamMemberSetReply,
  TeamReply,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { allowed, authorize, isAdmin } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { MemberBody, TeamCreateBody, TokenCreateBody, UserCreateBody } from './dto/accounts.dto';

/** Users, teams and robot tokens: the registry keeps them; the api checks who may change them. */
@Injectable()
export class AccountsService {
  constructor(private readonly rpc: Rpc) {}

  listUsers(principal: PrincipalView): Promise<AccountListReply> {
    authorize(principal, { kind: 'account-admin' });
    return this.rpc.call(Subjects.accountList, { kind: 'user' }, AccountListReply);
  }

  createUser(principal: PrincipalView, body: UserCreateBody): Promise<AccountCreateReply> {
    authorize(principal, { kind: 'account-admin' });
    return this.rpc.call(Subjects.accountCreate, { name: body.name, kind: 'user', password: body.password, accountRole: body.role }, AccountCreateReply);
  }

  async deleteUser(principal: PrincipalView, name: string): Promise<AccountDeleteReply> {
    authorize(principal, { kind: 'account-admin' });
    if (name.includes('+')) throw new SiloError('VALIDATION_FAILED', `${name} is a robot: use DELETE /api/v1/tokens/${name}`);
    return this.rpc.call(Subjects.accountDelete, { name }, AccountDeleteReply);
  }

  setRole(principal: PrincipalView, name: string, role: string): Promise<AccountView> {
    authorize(principal, { kind: 'account-admin' });
    return this.rpc.call(Subjects.accountRoleSet, { name, role }, AccountView);
  }

  async listTeams(principal: PrincipalView): Promise<TeamListReply> {
    const { teams } = await this.rpc.call(Subjects.teamList, {}, TeamListReply);
    const seeAll = isAdmin(principal) || principal.role === 'viewer';
    return { teams: teams.filter((t) => seeAll || principal.teams.some((m) => m.team === t.name)) };
  }

  async createTeam(principal: PrincipalView, body: TeamCreateBody): Promise<TeamReply> {
    authorize(principal, { kind: 'account-admin' });
    // team.put creates or updates: POST only creates.
    const exists = await this.rpc.call(Subjects.teamGet, { name: body.name }, TeamReply).then(
      () => true,
      (err: unknown) => {
        if (err instanceof SiloError && err.code === 'NOT_FOUND') return false;
        throw err;
      },
    );
    if (exists) throw new SiloError('CONFLICT', `team ${body.name} exists: change its quota with PATCH /api/v1/teams/${body.name}`);
    return this.rpc.call(Subjects.teamPut, { name: body.name, ...(body.quotaBytes !== undefined ? { quotaBytes: body.quotaBytes } : {}) }, TeamReply);
  }

  async setQuota(principal: PrincipalView, name: string, quotaBytes: number | null): Promise<TeamReply> {
    authorize(principal, { kind: 'account-admin' });
    await this.rpc.call(Subjects.teamGet, { name }, TeamReply); // NOT_FOUND rather than creating it
    return this.rpc.call(Subjects.teamPut, { name, quotaBytes }, TeamReply);
  }

  deleteTeam(principal: PrincipalView, name: string): Promise<TeamDeleteReply> {
    authorize(principal, { kind: 'account-admin' });
    return this.rpc.call(Subjects.teamDelete, { name }, TeamDeleteReply);
  }

  setMember(principal: PrincipalView, team: string, account: string, body: MemberBody): Promise<TeamMemberSetReply> {
    authorize(principal, { kind: 'team-admin', team });
    return this.rpc.call(Subjects.teamMemberSet, { team, account, role: body.role }, TeamMemberSetReply);
  }

  /** Robot tokens: every one for admins (and viewers); their teams' for team admins. */
  async listTokens(principal: PrincipalView): Promise<AccountListReply> {
    const administered = principal.teams.filter((t) => allowed(principal, { kind: 'team-admin', team: t.team })).map((t) => t.team);
    const seeAll = isAdmin(principal) || principal.role === 'viewer';
    if (!seeAll && administered.length === 0) authorize(principal, { kind: 'account-admin' });
    const { accounts } = await this.rpc.call(Subjects.accountList, { kind: 'robot' }, AccountListReply);
    return { accounts: seeAll ? accounts : accounts.filter((a) => administered.includes(robotTeam(a.name) ?? '')) };
  }

  createToken(principal: PrincipalView, body: TokenCreateBody): Promise<AccountCreateReply> {
    authorize(principal, { kind: 'team-admin', team: body.team });
    return this.rpc.call(Subjects.accountCreate, { name: `${body.team}+${body.name}`, kind: 'robot', team: body.team, role: body.role }, AccountCreateReply);
  }

  deleteToken(principal: PrincipalView, name: string): Promise<AccountDeleteReply> {
    const team = robotTeam(name);
    if (!team) throw new SiloError('VALIDATION_FAILED', `"${name}" is not a robot token name (team+name)`, [{ path: 'name', problems: ['name must be team+name'] }]);
    authorize(principal, { kind: 'team-admin', team });
    return this.rpc.call(Subjects.accountDelete, { name }, AccountDeleteReply);
  }
}

/** `team+name` → `team`. */
export function robotTeam(name: string): string | undefined {
  const plus = name.indexOf('+');
  return plus > 0 ? name.slice(0, plus) : undefined;
}
