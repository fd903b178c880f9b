import { Injectable } from '@nestjs/common';
import {
  AccountCreateReply,
  AccountCreateRequest,
  RepositoryVisibilityReply,
  TeamMemberSetReply,
  TeamMemberSetRequest,
  TeamPutRequest,
  TeamReply,
} from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import { randomBytes } from 'node:crypto';
import { NameUnknown } from '../manifests/manifest.service';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { AccountDirectory } from './account-directory';
import { AccountUnknown, TeamUnknown } from './errors/account.errors';
import { PasswordHasher } from './password-hasher';

/** Users, robot tokens, teams with quotas, memberships and public repositories. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly metadata: RegistryMetadata,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async create(request: AccountCreateRequest): Promise<AccountCreateReply> {
    if (request.name === 'admin') throw new SiloError('CONFLICT', 'the name admin is reserved');
    let membership: { team: string; role: NonNullable<AccountCreateRequest['role']> } | undefined;
    if (request.kind === 'robot') {
      const team = request.team!;
      if (!request.name.startsWith(`${team}+`)) throw new SiloError('VALIDATION_FAILED', `a robot of team ${team} is named ${team}+<name>`);
      if (!(await this.directory.team(team))) throw new TeamUnknown(team);
      membership = { team, role: request.role! };
    } else if (request.name.includes('+')) {
      throw new SiloError('VALIDATION_FAILED', 'user names cannot contain + (that is for robots)');
    }
    const secret = request.kind === 'robot' ? `silo_${randomBytes(24).toString('base64url')}` : (request.password ?? randomBytes(18).toString('base64url'));
    const created = await this.directory.createAccount(
      { name: request.name, kind: request.kind, secretHash: await this.hasher.hash(secret), createdAt: this.clock.now().toISOString() },
      membership,
    );
    if (!created) throw new SiloError('CONFLICT', `account ${request.name} exists already`);
    return { name: request.name, kind: request.kind, secret };
  }

  delete(name: string): Promise<boolean> {
    return this.directory.deleteAccount(name);
  }

  async putTeam(request: TeamPutRequest): Promise<TeamReply> {
    const team = await this.directory.putTeam(request.name, request.quotaBytes, this.clock.now().toISOString());
    return { name: team.name, quotaBytes: team.quotaBytes, usedBytes: await this.directory.usage(team.name) };
  }

  async getTeam(name: string): Promise<TeamReply> {
    const team = await this.directory.team(name);
    if (!team) throw new TeamUnknown(name);
    return { name, quotaBytes: team.quotaBytes, usedBytes: await this.directory.usage(name) };
  }

  async setMember(request: TeamMemberSetRequest): Promise<TeamMemberSetReply> {
    if (!(await this.directory.team(request.team))) throw new TeamUnknown(request.team);
    if (request.role !== 'none' && !(await this.directory.account(request.account))) throw new AccountUnknown(request.account);
    await this.directory.setMember(request.team, request.account, request.role);
    return { team: request.team, account: request.account, role: request.role };
  }

  async setVisibility(name: string, isPublic: boolean): Promise<RepositoryVisibilityReply> {
    if (!(await this.metadata.setPublic(name, isPublic))) throw new NameUnknown(name);
    return { name, public: isPublic };
  }
}
