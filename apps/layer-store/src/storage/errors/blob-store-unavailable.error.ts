import { SiloError } from '@silo/domain';

/** The storage behind the backend (NATS JetStream) cannot be reached or refused the operation. */
export class BlobStoreUnavailable extends SiloError {
  constructor(reason: string) {
    super('UNAVAILABLE', `blob store unavailable: ${reason}`);
  }
}
