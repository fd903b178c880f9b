import { SiloError } from '@silo/domain';

/** Authenticated, but not allowed: the message says which role the action needs. */
export class AccessDenied extends SiloError {
  constructor(message: string) {
    super('DENIED', message);
  }
}
