import { bootstrapService } from '@silo/service-kit';
import { RegistryConfig } from './config/registry.config';
import { RegistryModule } from './registry.module';

void bootstrapService({
  service: 'registry',
  configClass: RegistryConfig,
  module: (config) => RegistryModule.forRoot(config),
  httpPort: (config) => config.port,
  // Blob and manifest bodies are streamed and checked by the distribution API itself.
  bodyParser: false,
});
