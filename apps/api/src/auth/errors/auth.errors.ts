import { SiloError } from '@silo/domain';

export const AUTH_CHALLENGE = 'Bearer realm="silo"';

export class AuthenticationRequired extends SiloError {
  constructor(message = 'authentication required: log in (POST /api/v1/auth/login) and send "Authorization: Bearer <token>", or use Basic credentials') {
    super('UNAUTHORIZED', message);
  }
}

export class NotASession extends SiloError {
  constructor() {
    super('VALIDATION_FAILED', 'logout needs "Authorization: Bearer <session token>"');
  }
}
