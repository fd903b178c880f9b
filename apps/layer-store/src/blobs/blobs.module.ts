import { Module } from '@nestjs/common';
import { TransferMetricsModule } from '../metrics/transfer-metrics.module';
import { SigningModule } from '../signing/signing.module';
import { StorageModule } from '../storage/storage.module';
import { BlobsController } from './blobs.controller';
import { BlobsService } from './blobs.service';

@Module({
  imports: [StorageModule, SigningModule, TransferMetricsModule],
  controllers: [BlobsController],
  providers: [BlobsService],
})
export class BlobsModule {}
