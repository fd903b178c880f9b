import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthService } from './auth.service';
import { AuthenticationRequired } from './errors/auth.errors';

/** Every api route behind it needs valid credentials; a 401 says how to authenticate. */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { principal?: unknown }>();
    const principal = this.auth.authenticate(req.headers.authorization);
    if (!principal) {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Basic realm="silo", charset="UTF-8"');
      throw new AuthenticationRequired(req.headers.authorization ? 'invalid credentials' : undefined);
    }
    req.principal = principal;
    return true;
  }
}
