import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  JoinTokenCreateReply,
  JoinTokenCreateRequest,
  JoinTokenListReply,
  JoinTokenRevokeReply,
  PrincipalView,
  Subjects,
} from '@silo/contracts';
import { authorize } from '../authorization/policy';
import { CurrentPrincipal } from '../common/principal';
import { Rpc } from '../common/rpc.service';
import { ApiContract } from '../docs/api-contract.decorator';

/** Join tokens for hosts (`silo agent --join … --token …`), forwarded to the scheduler (admin). */
@ApiTags('nodes')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1/nodes/join-tokens')
export class JoinTokensController {
  constructor(private readonly rpc: Rpc) {}

  @Post()
  @HttpCode(201)
  @ApiContract({ summary: 'a join token, shown this once (admin)', body: JoinTokenCreateRequest, reply: JoinTokenCreateReply, status: 201 })
  create(@CurrentPrincipal() principal: PrincipalView, @Body() body: JoinTokenCreateRequest): Promise<JoinTokenCreateReply> {
    authorize(principal, { kind: 'node', access: 'write' });
    return this.rpc.call(Subjects.joinTokenCreate, { ...body }, JoinTokenCreateReply);
  }

  @Get()
  @ApiContract({ summary: 'every join token, never a secret (admin)', reply: JoinTokenListReply })
  list(@CurrentPrincipal() principal: PrincipalView): Promise<JoinTokenListReply> {
    authorize(principal, { kind: 'node', access: 'write' });
    return this.rpc.call(Subjects.joinTokenList, {}, JoinTokenListReply);
  }

  /** Also `POST …/ID/revoke` (kept for older clients). */
  @Post(':id/revoke')
  @HttpCode(200)
  @ApiContract({ summary: 'revoke a join token (admin)', reply: JoinTokenRevokeReply })
  revoke(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string): Promise<JoinTokenRevokeReply> {
    authorize(principal, { kind: 'node', access: 'write' });
    return this.rpc.call(Subjects.joinTokenRevoke, { id }, JoinTokenRevokeReply);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiContract({ summary: 'revoke a join token (admin)', reply: JoinTokenRevokeReply })
  remove(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string): Promise<JoinTokenRevokeReply> {
    return this.revoke(principal, id);
  }
}
