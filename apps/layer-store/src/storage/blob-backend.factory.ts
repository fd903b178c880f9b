import type { NatsConnectionService } from '@silo/messaging';
import { LayerStoreConfig } from '../config/layer-store.config';
import { BlobBackend } from './blob-backend';
import { FilesystemBlobBackend } from './filesystem-blob-backend';
import { JetStreamBlobBackend } from './jetstream-blob-backend';

/** The backend SILO_LAYER_STORE_BACKEND names (validated by the config). */
export function createBlobBackend(config: LayerStoreConfig, nats: NatsConnectionService): BlobBackend {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemBlobBackend(config.blobRoot);
    case 'jetstream':
      // The service's one NATS connection (ServiceKitModule); the buckets are made on first use.
      return new JetStreamBlobBackend(nats, {
        bucket: config.jetstreamBucket,
        replicas: config.jetstreamReplicas,
        storage: config.jetstreamStorage,
        timeoutMs: config.natsTimeoutMs,
      });
  }
}
