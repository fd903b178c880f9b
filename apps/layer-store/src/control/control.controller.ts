import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  BlobDeleteReply,
  BlobDeleteRequest,
  BlobListReply,
  BlobListRequest,
  BlobStatReply,
  BlobStatRequest,
  StoreUsageReply,
  StoreUsageRequest,
  Subjects,
  UploadPurgeReply,
  UploadPurgeRequest,
} from '@silo/contracts';
import { ControlService } from './control.service';

@Controller()
export class ControlController {
  constructor(private readonly control: ControlService) {}

  @MessagePattern(Subjects.blobStat)
  stat(@Payload() request: BlobStatRequest): Promise<BlobStatReply> {
    return this.control.stat(request);
  }

  @MessagePattern(Subjects.blobDelete)
  delete(@Payload() request: BlobDeleteRequest): Promise<BlobDeleteReply> {
    return this.control.delete(request);
  }

  @MessagePattern(Subjects.blobList)
  list(@Payload() request: BlobListRequest): Promise<BlobListReply> {
    return this.control.list(request);
  }

  @MessagePattern(Subjects.storeUsage)
  usage(@Payload() _request: StoreUsageRequest): Promise<StoreUsageReply> {
    return this.control.usage();
  }

  @MessagePattern(Subjects.uploadPurge)
  purgeUploads(@Payload() request: UploadPurgeRequest): Promise<UploadPurgeReply> {
    return this.control.purgeUploads(request);
  }
}
