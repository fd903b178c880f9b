import { Module } from '@nestjs/common';
import { SecretStore } from '@silo/service-kit';
import { LayerStoreConfig } from '../config/layer-store.config';
import { SignatureGuard } from './signature.guard';
import { SigningKey } from './signing-key';

@Module({
  providers: [
    {
      provide: SigningKey,
      inject: [LayerStoreConfig],
      useFactory: (config: LayerStoreConfig) => new SigningKey(new SecretStore(config.home).getOrCreate(SigningKey.NAME)),
    },
    SignatureGuard,
  ],
  exports: [SigningKey, SignatureGuard],
})
export class SigningModule {}
