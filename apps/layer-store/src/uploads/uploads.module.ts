import { Module } from '@nestjs/common';
import { TransferMetricsModule } from '../metrics/transfer-metrics.module';
import { SigningModule } from '../signing/signing.module';
import { StorageModule } from '../storage/storage.module';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [StorageModule, SigningModule, TransferMetricsModule],
  controllers: [UploadsController],
  providers: [UploadsService],
  exports: [UploadsService],
})
export class UploadsModule {}
