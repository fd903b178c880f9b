import { SiloError } from '@silo/domain';

/** A digest that is not `sha256:<64 hex>` or `sha512:<128 hex>` (nothing is looked up). */
export class InvalidDigest extends SiloError {
  constructor(reason: string) {
    super('DIGEST_INVALID', reason);
  }
}
