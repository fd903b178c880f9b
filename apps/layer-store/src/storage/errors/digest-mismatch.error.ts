import { SiloError } from '@silo/domain';

export class DigestMismatch extends SiloError {
  constructor(expected: string, actual: string, size: number) {
    super('DIGEST_INVALID', `uploaded content (${size} bytes) has digest ${actual}, not ${expected}; the upload was deleted`, {
      expected,
      actual,
      size,
    });
  }
}
