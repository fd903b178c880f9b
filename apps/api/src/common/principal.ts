import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { PrincipalView } from '@silo/contracts';
import type { Request } from 'express';

/** A request the authentication guard has passed: `principal` is who sent it. */
export interface AuthenticatedRequest extends Request {
  principal?: PrincipalView;
}

/** The PrincipalView the guard put on the request (routes behind the guard always have one). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): PrincipalView => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('no principal on the request: is the route @Public()?');
  return principal;
});
