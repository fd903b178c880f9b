import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminCredentials, AdminCredentialsStore } from '@silo/service-kit';
import { ApiConfig } from '../config/api.config';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';

@Global()
@Module({
  controllers: [AuthController],
  providers: [
    { provide: AdminCredentialsStore, inject: [ApiConfig], useFactory: (config: ApiConfig) => new AdminCredentialsStore(config.home) },
    {
      // Generated on the first start (the registry verifies it; users read it to log in).
      provide: AdminCredentials,
      inject: [AdminCredentialsStore, ApiConfig],
      useFactory: (store: AdminCredentialsStore, config: ApiConfig) => store.loadOrCreate({ apiUrl: config.apiUrl, registry: config.registry }),
    },
    AuthService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, AdminCredentialsStore],
})
export class AuthModule {}
