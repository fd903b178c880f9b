import { Injectable } from '@nestjs/common';
import {
  AuthVerifyReply,
  PrincipalView,
  SessionCreateReply,
  SessionCreateRequest,
  SessionRevokeReply,
  Subjects,
} from '@silo/contracts';
import { Rpc } from '../common/rpc.service';
import { ApiConfig } from '../config/api.config';
import { LoginReply } from './dto/auth.dto';
import { AuthenticationRequired } from './errors/auth.errors';

/**
 * Who a request comes from, asked of the registry (the one authority on accounts) every time: no
 * cache across requests, so a revoked token or a deleted account stops working at once.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly rpc: Rpc,
    private readonly config: ApiConfig,
  ) {}

  /** The principal for an `Authorization` header value; UNAUTHORIZED or SESSION_EXPIRED otherwise. */
  async verify(authorization: string | undefined): Promise<PrincipalView> {
    const value = authorization?.trim();
    if (!value) throw new AuthenticationRequired();
    if (value.length > 8192) throw new AuthenticationRequired('invalid credentials');
    const reply = await this.rpc.call(Subjects.authVerify, { authorization: value }, AuthVerifyReply);
    return reply.principal;
  }

  async login(request: SessionCreateRequest): Promise<LoginReply> {
    const session = await this.rpc.call(Subjects.sessionCreate, { ...request }, SessionCreateReply);
    return { ...session, registry: this.config.registry };
  }

  logout(token: string): Promise<SessionRevokeReply> {
    return this.rpc.call(Subjects.sessionRevoke, { token }, SessionRevokeReply);
  }
}

/** `Bearer <token>` → token (undefined for other schemes). */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
