import { SiloError } from '@silo/domain';

/** Also for ids that are not UUIDs: such an upload cannot exist. */
export class UploadUnknown extends SiloError {
  constructor(id: string) {
    super('BLOB_UPLOAD_UNKNOWN', `upload ${JSON.stringify(id.slice(0, 80))} is unknown (never started, committed, cancelled or purged)`);
  }
}
