import { bootstrapService } from '@silo/service-kit';
import { ApiConfig } from './config/api.config';
import { ApiModule } from './api.module';

void bootstrapService({
  service: 'api',
  configClass: ApiConfig,
  module: (config) => ApiModule.forRoot(config),
  httpPort: (config) => config.port,
});
