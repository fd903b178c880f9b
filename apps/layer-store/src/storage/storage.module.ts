import { Global, Module } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import { LayerStoreConfig } from '../config/layer-store.config';
import { BlobBackend } from './blob-backend';
import { createBlobBackend } from './blob-backend.factory';

/** Global so that the service kit's health check (BlobStoreIndicator) can reach the backend. */
@Global()
@Module({
  providers: [{ provide: BlobBackend, inject: [LayerStoreConfig, NatsConnectionService], useFactory: createBlobBackend }],
  exports: [BlobBackend],
})
export class StorageModule {}
