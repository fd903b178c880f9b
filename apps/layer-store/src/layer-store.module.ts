import { DynamicModule, Module } from '@nestjs/common';
import { DiskWritableIndicator, ServiceKitModule } from '@silo/service-kit';
import { BlobsModule } from './blobs/blobs.module';
import { LayerStoreConfig } from './config/layer-store.config';
import { ControlModule } from './control/control.module';
import { DirectUploadModule } from './direct-uploads/direct-upload.module';
import { BlobStoreIndicator } from './storage/blob-store.indicator';
import { StorageModule } from './storage/storage.module';
import { UploadsModule } from './uploads/uploads.module';

@Module({})
export class LayerStoreModule {
  static forRoot(config: LayerStoreConfig): DynamicModule {
    return {
      module: LayerStoreModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'layer-store',
          config,
          http: true,
          indicators: [config.backend === 'filesystem' ? new DiskWritableIndicator(config.blobRoot, 'blob-store') : BlobStoreIndicator],
        }),
        StorageModule,
        BlobsModule,
        UploadsModule,
        DirectUploadModule,
        ControlModule,
      ],
    };
  }
}
