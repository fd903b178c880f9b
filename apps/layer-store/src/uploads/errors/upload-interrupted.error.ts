import { SiloError } from '@silo/domain';

/** The request body broke off; what arrived is kept, `details.size` is where to resume. */
export class UploadInterrupted extends SiloError {
  constructor(size: number, reason: string) {
    super('BLOB_UPLOAD_INVALID', `the request body broke off (${reason}); the upload has ${size} bytes: resume from there`, { size });
  }
}
