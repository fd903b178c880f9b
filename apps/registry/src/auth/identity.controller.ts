import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AuthVerifyReply,
  AuthVerifyRequest,
  SessionCreateReply,
  SessionCreateRequest,
  SessionRevokeReply,
  SessionRevokeRequest,
  Subjects,
} from '@silo/contracts';
import { SessionService } from '../sessions/session.service';
import { IdentityService } from './identity.service';

/** Identities for the whole platform over NATS: the api asks on every request. */
@Controller()
export class IdentityController {
  constructor(
    private readonly identity: IdentityService,
    private readonly sessions: SessionService,
  ) {}

  @MessagePattern(Subjects.authVerify)
  async verify(@Payload() request: AuthVerifyRequest): Promise<AuthVerifyReply> {
    return { principal: await this.identity.verify(request.authorization) };
  }

  @MessagePattern(Subjects.sessionCreate)
  createSession(@Payload() request: SessionCreateRequest): Promise<SessionCreateReply> {
    return this.sessions.create(request);
  }

  @MessagePattern(Subjects.sessionRevoke)
  revokeSession(@Payload() request: SessionRevokeRequest): Promise<SessionRevokeReply> {
    return this.sessions.revoke(request.token);
  }
}
