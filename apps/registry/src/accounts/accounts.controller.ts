import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AccountCreateReply,
  AccountCreateRequest,
  AccountDeleteReply,
  AccountDeleteRequest,
  AccountListReply,
  AccountListRequest,
  AccountRoleSetRequest,
  AccountView,
  RepositoryVisibilityReply,
  RepositoryVisibilityRequest,
  Subjects,
  TeamDeleteReply,
  TeamDeleteRequest,
  TeamGetRequest,
  TeamListReply,
  TeamListRequest,
  TeamMemberSetReply,
  TeamMemberSetRequest,
  TeamPutRequest,
  TeamReply,
} from '@silo/contracts';
import { AccountsService } from './accounts.service';

/** Account administration over NATS (the api authorizes who may call it). */
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @MessagePattern(Subjects.accountCreate)
  create(@Payload() request: AccountCreateRequest): Promise<AccountCreateReply> {
    return this.accounts.create(request);
  }

  @MessagePattern(Subjects.accountDelete)
  async delete(@Payload() request: AccountDeleteRequest): Promise<AccountDeleteReply> {
    return { deleted: await this.accounts.delete(request.name) };
  }

  @MessagePattern(Subjects.accountList)
  async list(@Payload() request: AccountListRequest): Promise<AccountListReply> {
    return { accounts: await this.accounts.list(request) };
  }

  /** Replies with the account as it is now. */
  @MessagePattern(Subjects.accountRoleSet)
  setRole(@Payload() request: AccountRoleSetRequest): Promise<AccountView> {
    return this.accounts.setRole(request.name, request.role);
  }

  @MessagePattern(Subjects.teamList)
  async listTeams(@Payload() _request: TeamListRequest): Promise<TeamListReply> {
    return { teams: await this.accounts.listTeams() };
  }

  @MessagePattern(Subjects.teamDelete)
  deleteTeam(@Payload() request: TeamDeleteRequest): Promise<TeamDeleteReply> {
    return this.accounts.deleteTeam(request.name);
  }

  @MessagePattern(Subjects.teamPut)
  putTeam(@Payload() request: TeamPutRequest): Promise<TeamReply> {
    return this.accounts.putTeam(request);
  }

  @MessagePattern(Subjects.teamGet)
  getTeam(@Payload() request: TeamGetRequest): Promise<TeamReply> {
    return this.accounts.getTeam(request.name);
  }

  @MessagePattern(Subjects.teamMemberSet)
  setMember(@Payload() request: TeamMemberSetRequest): Promise<TeamMemberSetReply> {
    return this.accounts.setMember(request);
  }

  @MessagePattern(Subjects.repositoryVisibility)
  setVisibility(@Payload() request: RepositoryVisibilityRequest): Promise<RepositoryVisibilityReply> {
    return this.accounts.setVisibility(request.name, request.public);
  }
}
