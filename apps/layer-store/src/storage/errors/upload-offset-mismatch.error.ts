import { SiloError } from '@silo/domain';

/** The caller's idea of the upload's size is wrong; `details.size` is the real one (resume there). */
export class UploadOffsetMismatch extends SiloError {
  constructor(
    readonly expected: number,
    readonly size: number,
  ) {
    super('RANGE_INVALID', `upload offset ${expected} does not match the upload's size ${size}`, { size }, 416);
  }
}
