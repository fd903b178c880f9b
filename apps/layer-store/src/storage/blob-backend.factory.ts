import { LayerStoreConfig } from '../config/layer-store.config';
import { BlobBackend } from './blob-backend';
import { FilesystemBlobBackend } from './filesystem-blob-backend';

/** The backend SILO_LAYER_STORE_BACKEND names (validated by the config: `filesystem` for now). */
export function createBlobBackend(config: LayerStoreConfig): BlobBackend {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemBlobBackend(config.blobRoot);
  }
}
