import { SiloError } from '@silo/domain';

/** 401 with the Docker token-flow challenge. */
export class AuthenticationRequired extends SiloError {
  constructor(
    readonly challenge: string,
    message = 'authentication required',
    details?: Record<string, unknown>,
  ) {
    super('UNAUTHORIZED', message, details);
  }
}

/** 403: authenticated, but not allowed. */
export class AccessDenied extends SiloError {
  constructor(message = 'requested access to the resource is denied', details?: Record<string, unknown>) {
    super('DENIED', message, details);
  }
}

/** Credentials that do not verify (unknown, wrong, revoked, or their account is gone). */
export class InvalidCredentials extends SiloError {
  constructor(message = 'invalid credentials') {
    super('UNAUTHORIZED', message);
  }
}
