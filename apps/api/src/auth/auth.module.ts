import { Module } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';
import { AdminCredentials, AdminCredentialsStore } from '@silo/service-kit';
import { AuthService } from './auth.service';
import { BasicAuthGuard } from './basic-auth.guard';

@Module({
  providers: [
    { provide: AdminCredentialsStore, inject: [ApiConfig], useFactory: (config: ApiConfig) => new AdminCredentialsStore(config.home) },
    {
      provide: AdminCredentials,
      inject: [AdminCredentialsStore, ApiConfig],
      useFactory: (store: AdminCredentialsStore, config: ApiConfig) => store.loadOrCreate({ apiUrl: config.apiUrl, registry: config.registry }),
    },
    AuthService,
    BasicAuthGuard,
  ],
  exports: [AuthService, BasicAuthGuard, AdminCredentialsStore],
})
export class AuthModule {}
