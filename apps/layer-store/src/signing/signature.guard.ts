import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { checkSignature } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import type { Request } from 'express';
import { SignatureExpired, SignatureInvalid, SignatureMissing } from './errors';
import { requiredScope, signatureParams, signedPath } from './request-signature';
import { SigningKey } from './signing-key';

/**
 * Every data-plane request carries `?expires=…&sig=…` (see `signedQuery` in @silo/domain), made
 * over its path with the scope its method needs. Missing: 401 UNAUTHORIZED; wrong or expired:
 * 403 DENIED. Checked before the request body is read.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    this.check(req.method, req.originalUrl);
    return true;
  }

  /** Throws SignatureMissing (401), SignatureExpired or SignatureInvalid (403). */
  check(method: string, originalUrl: string): void {
    const path = signedPath(originalUrl);
    const scope = requiredScope(method, path);
    const result = checkSignature(this.key.secret, scope, path, signatureParams(originalUrl), this.clock.now().getTime() / 1000);
    switch (result) {
      case 'valid':
        return;
      case 'missing':
        throw new SignatureMissing();
      case 'expired':
        throw new SignatureExpired();
      case 'invalid':
        throw new SignatureInvalid();
    }
  }
}
