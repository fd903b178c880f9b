import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Subjects, UploadCommitReply, UploadCommitRequest, UploadEndReply, UploadEndRequest } from '@silo/contracts';
import { BlobUploadService } from './blob-upload.service';

/** The layer store's reports on direct uploads (the client sent the bytes to the store itself). */
@Controller()
export class DirectUploadController {
  constructor(private readonly uploads: BlobUploadService) {}

  @MessagePattern(Subjects.registryUploadCommit)
  commit(@Payload() request: UploadCommitRequest): Promise<UploadCommitReply> {
    return this.uploads.recordCommitted(request.repository, request.uploadId, request.digest, request.size);
  }

  @MessagePattern(Subjects.registryUploadEnd)
  async end(@Payload() request: UploadEndRequest): Promise<UploadEndReply> {
    await this.uploads.end(request.repository, request.uploadId);
    return {};
  }
}
