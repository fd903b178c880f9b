import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseIndicator, PersistenceModule } from '@silo/persistence';
import { DiskWritableIndicator, ServiceKitModule } from '@silo/service-kit';
import { join } from 'node:path';
import { RegistryConfig } from './config/registry.config';
import { REGISTRY_MIGRATIONS } from './migrations';
import { RepositoryEntity } from './repositories/repository.entity';

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        PersistenceModule.forRoot({
          service: 'registry',
          home: config.home,
          databaseUrl: config.databaseUrl,
          entities: [RepositoryEntity],
          migrations: REGISTRY_MIGRATIONS,
        }),
        ServiceKitModule.forRoot({
          service: 'registry',
          config,
          http: true,
          indicators: [DatabaseIndicator, new DiskWritableIndicator(join(config.home, 'registry'))],
        }),
      ],
    };
  }
}
