import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from '@silo/contracts';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { AccountsService } from './accounts.service';
import {
  AccountCreateReply,
  AccountDeleteReply,
  AccountListReply,
  AccountView,
  MemberBody,
  TeamCreateBody,
  TeamDeleteReply,
  TeamListReply,
  TeamMemberSetReply,
  TeamPatchBody,
  TeamReply,
  TokenCreateBody,
  UserCreateBody,
  UserPatchBody,
} from './dto/accounts.dto';

@ApiTags('accounts')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get('users')
  @ApiContract({ summary: 'every user (admin)', reply: AccountListReply })
  listUsers(@CurrentPrincipal() principal: PrincipalView): Promise<AccountListReply> {
    return this.accounts.listUsers(principal);
  }

  @Post('users')
  @HttpCode(201)
  @ApiContract({ summary: 'create a user; the password is shown once (admin)', body: UserCreateBody, reply: AccountCreateReply, status: 201 })
  createUser(@CurrentPrincipal() principal: PrincipalView, @Body() body: UserCreateBody): Promise<AccountCreateReply> {
    return this.accounts.createUser(principal, body);
  }

  @Delete('users/:name')
  @HttpCode(200)
  @ApiContract({ summary: 'delete a user: sessions and credentials stop working at once (admin)', reply: AccountDeleteReply })
  deleteUser(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<AccountDeleteReply> {
    return this.accounts.deleteUser(principal, name);
  }

  @Patch('users/:name')
  @ApiContract({ summary: "a user's cluster-wide role (admin)", body: UserPatchBody, reply: AccountView })
  setRole(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string, @Body() body: UserPatchBody): Promise<AccountView> {
    return this.accounts.setRole(principal, name, body.role);
  }

  @Get('teams')
  @ApiContract({ summary: 'teams (members: their own)', reply: TeamListReply })
  listTeams(@CurrentPrincipal() principal: PrincipalView): Promise<TeamListReply> {
    return this.accounts.listTeams(principal);
  }

  @Post('teams')
  @HttpCode(201)
  @ApiContract({ summary: 'create a team (admin)', body: TeamCreateBody, reply: TeamReply, status: 201 })
  createTeam(@CurrentPrincipal() principal: PrincipalView, @Body() body: TeamCreateBody): Promise<TeamReply> {
    return this.accounts.createTeam(principal, body);
  }

  @Patch('teams/:name')
  @ApiContract({ summary: "a team's quota; null: none (admin)", body: TeamPatchBody, reply: TeamReply })
  setQuota(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string, @Body() body: TeamPatchBody): Promise<TeamReply> {
    return this.accounts.setQuota(principal, name, body.quotaBytes);
  }

  @Delete('teams/:name')
  @HttpCode(200)
  @ApiContract({ summary: 'delete a team; its repositories stay (admin)', reply: TeamDeleteReply })
  deleteTeam(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<TeamDeleteReply> {
    return this.accounts.deleteTeam(principal, name);
  }

  @Put('teams/:name/members/:account')
  @ApiContract({ summary: "an account's role in the team; none removes it (admin or team admin)", body: MemberBody, reply: TeamMemberSetReply })
  setMember(
    @CurrentPrincipal() principal: PrincipalView,
    @Param('name') team: string,
    @Param('account') account: string,
    @Body() body: MemberBody,
  ): Promise<TeamMemberSetReply> {
    return this.accounts.setMember(principal, team, account, body);
  }

  @Get('tokens')
  @ApiContract({ summary: 'robot tokens (team admins: their teams’)', reply: AccountListReply })
  listTokens(@CurrentPrincipal() principal: PrincipalView): Promise<AccountListReply> {
    return this.accounts.listTokens(principal);
  }

  @Post('tokens')
  @HttpCode(201)
  @ApiContract({ summary: 'a robot token team+name; the secret is shown once (admin or team admin)', body: TokenCreateBody, reply: AccountCreateReply, status: 201 })
  createToken(@CurrentPrincipal() principal: PrincipalView, @Body() body: TokenCreateBody): Promise<AccountCreateReply> {
    return this.accounts.createToken(principal, body);
  }

  @Delete('tokens/:name')
  @HttpCode(200)
  @ApiContract({ summary: 'revoke a robot token at once (admin or team admin)', reply: AccountDeleteReply })
  deleteToken(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<AccountDeleteReply> {
    return this.accounts.deleteToken(principal, name);
  }
}
