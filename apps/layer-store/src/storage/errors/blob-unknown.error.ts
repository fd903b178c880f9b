import { SiloError } from '@silo/domain';

export class BlobUnknown extends SiloError {
  constructor(readonly digest: string) {
    super('BLOB_UNKNOWN', `blob ${digest} is not in the store`, { digest });
  }
}
