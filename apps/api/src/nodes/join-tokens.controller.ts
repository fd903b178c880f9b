import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { JoinTokenCreateReply, JoinTokenCreateRequest, JoinTokenListReply, JoinTokenRevokeReply, Subjects } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';
import { BasicAuthGuard } from '../auth/basic-auth.guard';

/** Join tokens for hosts (`silo agent --join … --token …`), forwarded to the scheduler. */
@Controller('api/v1/nodes/join-tokens')
@UseGuards(BasicAuthGuard)
export class JoinTokensController {
  constructor(private readonly nats: NatsClient) {}

  /** `POST /api/v1/nodes/join-tokens` `{ description?, ttlSeconds? }`: the token, shown this once. */
  @Post()
  @HttpCode(201)
  create(@Body() body: JoinTokenCreateRequest): Promise<JoinTokenCreateReply> {
    return this.nats.request(Subjects.joinTokenCreate, { ...body }, { reply: JoinTokenCreateReply });
  }

  /** `GET /api/v1/nodes/join-tokens`: every token, never a secret. */
  @Get()
  list(): Promise<JoinTokenListReply> {
    return this.nats.request(Subjects.joinTokenList, {}, { reply: JoinTokenListReply });
  }

  /** `POST /api/v1/nodes/join-tokens/ID/revoke` (or `DELETE …/ID`): registrations with it are refused. */
  @Post(':id/revoke')
  @HttpCode(200)
  revoke(@Param('id') id: string): Promise<JoinTokenRevokeReply> {
    return this.nats.request(Subjects.joinTokenRevoke, { id }, { reply: JoinTokenRevokeReply });
  }

  @Delete(':id')
  @HttpCode(200)
  remove(@Param('id') id: string): Promise<JoinTokenRevokeReply> {
    return this.revoke(id);
  }
}
