import { Module } from '@nestjs/common';
import { LayerStoreConfig } from '../config/layer-store.config';
import { BlobBackend } from './blob-backend';
import { createBlobBackend } from './blob-backend.factory';

@Module({
  providers: [{ provide: BlobBackend, inject: [LayerStoreConfig], useFactory: createBlobBackend }],
  exports: [BlobBackend],
})
export class StorageModule {}
