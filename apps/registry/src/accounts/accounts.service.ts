import { Injectable } from '@nestjs/common';
import {
  AccountCreateReply,
  AccountCreateRequest,
  AccountListRequest,
  AccountRole,
  AccountView,
  RepositoryVisibilityReply,
  TeamDeleteReply,
  TeamMemberSetReply,
  TeamMemberSetRequest,
  TeamPutRequest,
  TeamReply,
  TeamView,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import { randomBytes } from 'node:crypto';
import { AccountEvents } from '../events/account-events';
import { NameUnknown } from '../manifests/manifest.service';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { AccountDirectory } from './account-directory';
import { accountView, robotTeam, teamView } from './account-views';
import { AccountUnknown, TeamUnknown } from './errors/account.errors';
import { PasswordHasher } from './password-hasher';
import { QuotaService } from './quota.service';

/**
 * Users, robot tokens, teams with quotas, memberships and public repositories. Every change that
 * affects who someone is or what they may do is announced (`silo.registry.account-changed`), so
 * caches here and in other processes drop their entries at once.
 */
@Injectable()
export class AccountsService {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly metadata: RegistryMetadata,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly events: AccountEvents,
    private readonly quota: QuotaService,
  ) {}

  async create(request: AccountCreateRequest): Promise<AccountCreateReply> {
    if (request.name === 'admin') throw new SiloError('CONFLICT', 'the name admin is reserved');
    let membership: { team: string; role: NonNullable<AccountCreateRequest['role']> } | undefined;
    if (request.kind === 'robot') {
      const team = request.team!;
      if (!request.name.startsWith(`${team}+`)) throw new SiloError('VALIDATION_FAILED', `a robot of team ${team} is named ${team}+<name>`);
      if (request.accountRole !== undefined) throw new SiloError('VALIDATION_FAILED', 'robots have no cluster-wide role: they act in their team only');
      if (!(await this.directory.team(team))) throw new TeamUnknown(team);
      membership = { team, role: request.role! };
    } else if (request.name.includes('+')) {
      throw new SiloError('VALIDATION_FAILED', 'user names cannot contain + (that is for robots)');
    }
    const secret = request.kind === 'robot' ? `silo_${randomBytes(24).toString('base64url')}` : (request.password ?? randomBytes(18).toString('base64url'));
    const created = await this.directory.createAccount(
      {
        name: request.name,
        kind: request.kind,
        secretHash: await this.hasher.hash(secret),
        createdAt: this.clock.now().toISOString(),
        role: request.kind === 'user' ? (request.accountRole ?? 'member') : 'member',
      },
      membership,
    );
    if (!created) throw new SiloError('CONFLICT', `account ${request.name} exists already`);
    this.events.changed(request.name, 'created');
    return { name: request.name, kind: request.kind, secret };
  }

  /** The account, its memberships and its sessions; its credentials fail from the next request on. */
  async delete(name: string): Promise<boolean> {
    const deleted = await this.directory.deleteAccount(name);
    if (deleted) this.events.changed(name, 'deleted');
    return deleted;
  }

  async setRole(name: string, role: AccountRole): Promise<AccountView> {
    const account = await this.directory.account(name);
    if (!account) throw new AccountUnknown(name);
    if (account.kind === 'robot') throw new SiloError('VALIDATION_FAILED', `${name} is a robot: robots have no cluster-wide role`);
    if (!(await this.directory.setAccountRole(name, role))) throw new AccountUnknown(name);
    this.events.changed(name, 'role');
    return accountView({ ...account, role }, await this.directory.memberships([name]));
  }

  async list(request: AccountListRequest): Promise<AccountView[]> {
    const accounts = await this.directory.accounts({ kind: request.kind, team: request.team });
    const memberships = await this.directory.memberships(accounts.map((a) => a.name));
    return accounts.map((account) => accountView(account, memberships));
  }

  async putTeam(request: TeamPutRequest): Promise<TeamReply> {
    const team = await this.directory.putTeam(request.name, request.quotaBytes, this.clock.now().toISOString());
    return { name: team.name, quotaBytes: team.quotaBytes, usedBytes: await this.quota.usage(team.name) };
  }

  async getTeam(name: string): Promise<TeamReply> {
    const team = await this.directory.team(name);
    if (!team) throw new TeamUnknown(name);
    return { name, quotaBytes: team.quotaBytes, usedBytes: await this.quota.usage(name) };
  }

  async listTeams(): Promise<TeamView[]> {
    const teams = await this.directory.teams();
    const memberships = await this.directory.memberships();
    return Promise.all(teams.map(async (team) => teamView(team, memberships, await this.quota.usage(team.name))));
  }

  /** Members lose their role, the team's robots are deleted; repositories stay. */
  async deleteTeam(name: string): Promise<TeamDeleteReply> {
    const removed = await this.directory.deleteTeam(name);
    if (!removed) return { deleted: 0 };
    for (const robot of removed.robots) this.events.changed(robot, 'deleted');
    for (const member of removed.members) this.events.changed(member, 'membership');
    return { deleted: 1 };
  }

  async setMember(request: TeamMemberSetRequest): Promise<TeamMemberSetReply> {
    if (!(await this.directory.team(request.team))) throw new TeamUnknown(request.team);
    if (request.role !== 'none') {
      const account = await this.directory.account(request.account);
      if (!account) throw new AccountUnknown(request.account);
      if (account.kind === 'robot' && robotTeam(account.name) !== request.team) {
        throw new SiloError('VALIDATION_FAILED', `${account.name} is a robot of team ${robotTeam(account.name)}: it cannot join ${request.team}`);
      }
    }
    await this.directory.setMember(request.team, request.account, request.role);
    this.events.changed(request.account, 'membership');
    return { team: request.team, account: request.account, role: request.role };
  }

  async setVisibility(name: string, isPublic: boolean): Promise<RepositoryVisibilityReply> {
    if (!(await this.metadata.setPublic(name, isPublic))) throw new NameUnknown(name);
    return { name, public: isPublic };
  }
}
