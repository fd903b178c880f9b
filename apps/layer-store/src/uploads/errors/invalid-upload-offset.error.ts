import { SiloError } from '@silo/domain';

export class InvalidUploadOffset extends SiloError {
  constructor(problem: string) {
    super('VALIDATION_FAILED', `Upload-Offset header ${problem}`, [{ path: 'Upload-Offset', problems: [problem] }]);
  }
}
