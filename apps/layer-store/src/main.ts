import { bootstrapService } from '@silo/service-kit';
import { LayerStoreConfig } from './config/layer-store.config';
import { LayerStoreModule } from './layer-store.module';

void bootstrapService({
  service: 'layer-store',
  configClass: LayerStoreConfig,
  module: (config) => LayerStoreModule.forRoot(config),
  httpPort: (config) => config.port,
  // Blob bytes are streamed to and from the backend, never parsed or buffered.
  bodyParser: false,
});
