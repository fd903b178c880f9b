import { DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@silo/service-kit';
import { AdminCredentialsStore } from '@silo/service-kit';
import { CredentialsIndicator } from './auth/credentials.indicator';
import { ApiConfig } from './config/api.config';
import { JoinTokensApiModule } from './nodes/join-tokens.module';
import { RegistryOpsModule } from './registry/registry.module';
import { StatusModule } from './status/status.module';

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'api',
          config,
          http: true,
          indicators: [new CredentialsIndicator(new AdminCredentialsStore(config.home))],
        }),
        StatusModule,
        RegistryOpsModule,
        JoinTokensApiModule,
      ],
    };
  }
}
