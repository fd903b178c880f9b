import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  JoinTokenCreateReply,
  JoinTokenCreateRequest,
  JoinTokenListReply,
  JoinTokenListRequest,
  JoinTokenRevokeReply,
  JoinTokenRevokeRequest,
  Subjects,
} from '@silo/contracts';
import { JoinTokensService } from './join-tokens.service';

@Controller()
export class JoinTokensController {
  constructor(private readonly tokens: JoinTokensService) {}

  @MessagePattern(Subjects.joinTokenCreate)
  create(@Payload() request: JoinTokenCreateRequest): Promise<JoinTokenCreateReply> {
    return this.tokens.create(request);
  }

  @MessagePattern(Subjects.joinTokenList)
  list(@Payload() _request: JoinTokenListRequest): Promise<JoinTokenListReply> {
    return this.tokens.list();
  }

  @MessagePattern(Subjects.joinTokenRevoke)
  revoke(@Payload() request: JoinTokenRevokeRequest): Promise<JoinTokenRevokeReply> {
    return this.tokens.revoke(request.id);
  }
}
