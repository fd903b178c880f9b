import { DirectUploadController } from './blobs/direct-upload.controller';
import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseIndicator, PersistenceModule } from '@silo/persistence';
import { AdminCredentialsStore, DiskWritableIndicator, SecretStore, ServiceKitModule } from '@silo/service-kit';
import { join } from 'node:path';
import { AccountDirectory, TypeOrmAccountDirectory } from './accounts/account-directory';
import { ACCOUNT_ENTITIES } from './accounts/account.entities';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { PasswordHasher } from './accounts/password-hasher';
import { QuotaService } from './accounts/quota.service';
import { RegistryAuthService } from './auth/auth.service';
import { IdentityController } from './auth/identity.controller';
import { IdentityService } from './auth/identity.service';
import { PrincipalResolver } from './auth/principal-resolver';
import { TokenService } from './auth/token.service';
import { BlobUploadService } from './blobs/blob-upload.service';
import { BlobService } from './blobs/blob.service';
import { CatalogController } from './catalog/catalog.controller';
import { CatalogService } from './catalog/catalog.service';
import { RegistryConfig } from './config/registry.config';
import { DistributionController } from './distribution/distribution.controller';
import { AccountEvents } from './events/account-events';
import { RegistryEvents } from './events/registry-events';
import { GarbageCollector } from './gc/garbage-collector.service';
import { GcController } from './gc/gc.controller';
import { ManifestService } from './manifests/manifest.service';
import { ReferrersService } from './manifests/referrers.service';
import { REGISTRY_ENTITIES } from './metadata/entities';
import { DatabaseWriter } from './metadata/database-writer';
import { RegistryMetadata, TypeOrmRegistryMetadata } from './metadata/registry-metadata';
import { REGISTRY_MIGRATIONS } from './migrations';
import { RepositoryListingService } from './repositories/repository-listing.service';
import { SessionStore, TypeOrmSessionStore } from './sessions/session-store';
import { SessionService } from './sessions/session.service';
import { BlobContentReader } from './storage/blob-content';
import { BlobStore } from './storage/blob-store';
import { HttpBlobStore } from './storage/http-blob-store';

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
          entities: [...REGISTRY_ENTITIES, ...ACCOUNT_ENTITIES],
          migrations: REGISTRY_MIGRATIONS,
        }),
        ServiceKitModule.forRoot({
          service: 'registry',
          config,
          http: true,
          indicators: [DatabaseIndicator, new DiskWritableIndicator(join(config.home, 'registry'))],
        }),
      ],
      controllers: [DistributionController, DirectUploadController, GcController, AccountsController, IdentityController, CatalogController],
      providers: [
        DatabaseWriter,
        { provide: RegistryMetadata, useClass: TypeOrmRegistryMetadata },
        { provide: AccountDirectory, useClass: TypeOrmAccountDirectory },
        { provide: SessionStore, useClass: TypeOrmSessionStore },
        { provide: AdminCredentialsStore, useFactory: () => new AdminCredentialsStore(config.home) },
        PasswordHasher,
        QuotaService,
        AccountsService,
        {
          provide: BlobStore,
          useFactory: () =>
            new HttpBlobStore({
              baseUrl: config.layerStoreUrl,
              secret: new SecretStore(config.home).getOrCreate('layer-store-signing'),
              signedUrlTtlSeconds: config.signedUrlTtlSeconds,
              uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
            }),
        },
        BlobContentReader,
        TokenService,
        RegistryAuthService,
        PrincipalResolver,
        AccountEvents,
        SessionService,
        IdentityService,
        CatalogService,
        BlobService,
        BlobUploadService,
        ManifestService,
        ReferrersService,
        RepositoryListingService,
        RegistryEvents,
        GarbageCollector,
      ],
    };
  }
}
