import { Module } from '@nestjs/common';
import { SigningModule } from '../signing/signing.module';
import { StorageModule } from '../storage/storage.module';
import { UploadsModule } from '../uploads/uploads.module';
import { DirectUploadController } from './direct-upload.controller';
import { DirectUploadService } from './direct-upload.service';
import { RegistryLink } from './registry-link';

@Module({
  imports: [StorageModule, SigningModule, UploadsModule],
  controllers: [DirectUploadController],
  providers: [DirectUploadService, RegistryLink],
})
export class DirectUploadModule {}
