import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { join } from 'node:path';

/** Where blob bytes are kept. A NATS JetStream object-store backend is planned. */
export const BLOB_BACKENDS = ['filesystem'] as const;
export type BlobBackendKind = (typeof BLOB_BACKENDS)[number];

export class LayerStoreConfig extends BaseServiceConfig {
  /** Data-plane HTTP port (blob bytes). */
  @EnvVar('SILO_LAYER_STORE_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 7071;

  /** Where blobs live; default `$SILO_HOME/layer-store`. */
  @EnvVar('SILO_LAYER_STORE_ROOT')
  @IsOptional()
  @IsString()
  @MinLength(1)
  root?: string;

  /** Blob storage backend. */
  @EnvVar('SILO_LAYER_STORE_BACKEND')
  @IsIn(BLOB_BACKENDS)
  backend: BlobBackendKind = 'filesystem';

  get blobRoot(): string {
    return this.root ?? join(this.home, 'layer-store');
  }
}
