import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { PrincipalView } from '@silo/contracts';
import { HealthzController, MetricsController } from '@silo/service-kit';
import { SiloError } from '@silo/domain';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../common/principal';
import { AuthService } from './auth.service';
import { AUTH_CHALLENGE } from './errors/auth.errors';
import { IS_PUBLIC, QUERY_TOKEN } from './public.decorator';

/** The Authorization value of a request: the header, or `?access_token=` where the route allows it. */
export function credentialsOf(req: { headers: Record<string, string | string[] | undefined>; url?: string }, allowQueryToken: boolean): string | undefined {
  const header = req.headers['authorization'];
  if (typeof header === 'string' && header.trim()) return header;
  if (!allowQueryToken || !req.url) return undefined;
  const token = new URL(req.url, 'http://localhost').searchParams.get('access_token');
  return token ? `Bearer ${token}` : undefined;
}

/** Adds the challenge to 401s (UNAUTHORIZED, SESSION_EXPIRED) and rethrows. */
export function challenge(err: unknown, setHeader: (name: string, value: string) => void): never {
  if (err instanceof SiloError && (err.code === 'UNAUTHORIZED' || err.code === 'SESSION_EXPIRED')) setHeader('WWW-Authenticate', AUTH_CHALLENGE);
  throw err;
}

const LIBRARY_PUBLIC: unknown[] = [HealthzController, MetricsController];

/**
 * Global: every route needs credentials unless it is @Public(). The registry verifies them on
 * every request; the PrincipalView goes on the request for the controllers and the policy.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    // The service kit's own probes (/healthz, /metrics) stay open, as on every Silo service.
    if (LIBRARY_PUBLIC.includes(context.getClass())) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<AuthenticatedRequest>();
    if (req.principal) return true;
    const allowQuery = this.reflector.getAllAndOverride<boolean>(QUERY_TOKEN, targets) ?? false;
    let principal: PrincipalView;
    try {
      principal = await this.auth.verify(credentialsOf(req, allowQuery));
    } catch (err) {
      challenge(err, (name, value) => http.getResponse<Response>().setHeader(name, value));
    }
    req.principal = principal;
    return true;
  }
}
