import { DynamicModule, Module } from '@nestjs/common';
import { DiskWritableIndicator, ServiceKitModule } from '@silo/service-kit';
import { BlobsModule } from './blobs/blobs.module';
import { LayerStoreConfig } from './config/layer-store.config';
import { ControlModule } from './control/control.module';
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
          indicators: [new DiskWritableIndicator(config.blobRoot, 'blob-store')],
        }),
        BlobsModule,
        UploadsModule,
        ControlModule,
      ],
    };
  }
}
