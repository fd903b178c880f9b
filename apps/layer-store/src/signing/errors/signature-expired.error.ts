import { SiloError } from '@silo/domain';

export class SignatureExpired extends SiloError {
  constructor() {
    super('DENIED', 'signature expired');
  }
}
