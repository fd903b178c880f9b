import { SiloError } from '@silo/domain';

export class AuthenticationRequired extends SiloError {
  constructor(message = 'authentication required: use Basic credentials (see $SILO_HOME/admin-credentials.json)') {
    super('UNAUTHORIZED', message);
  }
}
