import { bootstrapService } from '@silo/service-kit';
import { LayerStoreConfig } from './config/layer-store.config';
import { LayerStoreModule } from './layer-store.module';

void bootstrapService({
  service: 'layer-store',
  configClass: LayerStoreConfig,
  module: (config) => LayerStoreModule.forRoot(config),
  httpPort: (config) => config.port,
});
