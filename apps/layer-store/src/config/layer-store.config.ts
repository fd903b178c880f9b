import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { join } from 'node:path';

/** Where blob bytes are kept: files under the root, or a NATS JetStream object store. */
export const BLOB_BACKENDS = ['filesystem', 'jetstream'] as const;
export type BlobBackendKind = (typeof BLOB_BACKENDS)[number];

export const JETSTREAM_STORAGE_TYPES = ['file', 'memory'] as const;
export type JetStreamStorageType = (typeof JETSTREAM_STORAGE_TYPES)[number];

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

  /** JetStream backend: the object-store bucket (stream `OBJ_<bucket>`; uploads in KV `<bucket>-uploads`). */
  @EnvVar('SILO_LAYER_STORE_JETSTREAM_BUCKET')
  @Matches(/^[a-zA-Z0-9_-]{1,64}$/, { message: 'must be a JetStream bucket name (letters, digits, - and _)' })
  jetstreamBucket = 'silo-blobs';

  /** JetStream backend: replicas of its streams (1 on one server; 3 or 5 in a NATS cluster). */
  @EnvVar('SILO_LAYER_STORE_JETSTREAM_REPLICAS')
  @IsInt()
  @Min(1)
  @Max(5)
  jetstreamReplicas = 1;

  /** JetStream backend: `file` (durable) or `memory` storage. */
  @EnvVar('SILO_LAYER_STORE_JETSTREAM_STORAGE')
  @IsIn(JETSTREAM_STORAGE_TYPES)
  jetstreamStorage: JetStreamStorageType = 'file';

  /**
   * The registry's port, for the blob Location a direct upload answers with (the host is the one
   * the client used to reach the store), unless SILO_REGISTRY_PUBLIC_URL says where it is.
   */
  @EnvVar('SILO_REGISTRY_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  registryPort = 5000;

  /** How clients reach the registry; default: the request's host, the registry's port. */
  @EnvVar('SILO_REGISTRY_PUBLIC_URL')
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  registryPublicUrl?: string;

  /** Direct uploads: how long the signed Location each reply hands out stays valid. */
  @EnvVar('SILO_UPLOAD_URL_TTL_SECONDS')
  @IsInt()
  @Min(60)
  @Max(7 * 86_400)
  uploadUrlTtlSeconds = 3600;

  get blobRoot(): string {
    return this.root ?? join(this.home, 'layer-store');
  }
}
