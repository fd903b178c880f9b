import { SiloError } from '@silo/domain';

export class SignatureMissing extends SiloError {
  constructor() {
    super('UNAUTHORIZED', 'a signed URL is required: add the expires and sig query parameters the registry issues');
  }
}
