import { SiloError } from '@silo/domain';

export class SignatureInvalid extends SiloError {
  constructor() {
    super('DENIED', 'invalid signature for this path and method');
  }
}
