import { SiloError } from '@silo/domain';

export class SessionExpired extends SiloError {
  constructor(expiredAt?: string) {
    super('SESSION_EXPIRED', 'the session has expired: log in again', expiredAt ? { expiredAt } : undefined);
  }
}

export class SessionUnknown extends SiloError {
  constructor() {
    super('UNAUTHORIZED', 'unknown or revoked session');
  }
}
