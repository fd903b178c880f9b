import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';

const URL_OPTIONS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

export class RegistryConfig extends BaseServiceConfig {
  /** OCI Distribution API port. */
  @EnvVar('SILO_REGISTRY_PORT')
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 5000;

  /** PostgreSQL for registry metadata; empty: SQLite under SILO_HOME. */
  @EnvVar('SILO_DATABASE_URL', { secret: true })
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL, or empty for SQLite' })
  databaseUrl?: string;

  /** How clients reach the registry (token realm); default: from each request's Host header. */
  @EnvVar('SILO_REGISTRY_PUBLIC_URL')
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  publicUrl?: string;

  /** The `service` of the token flow (the JWT audience). */
  @EnvVar('SILO_REGISTRY_SERVICE')
  @IsString()
  @MinLength(1)
  serviceName = 'silo-registry';

  @EnvVar('SILO_REGISTRY_TOKEN_TTL_SECONDS')
  @IsInt()
  @Min(30)
  @Max(86_400)
  tokenTtlSeconds = 900;

  /** Lifetime of a login session (`silo login`) when the request names none: 12 h. */
  @EnvVar('SILO_REGISTRY_SESSION_TTL_SECONDS')
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  sessionTtlSeconds = 12 * 3600;

  /** How long a verified Basic credential is remembered (password hashing is slow by design); 0: never. */
  @EnvVar('SILO_REGISTRY_AUTH_CACHE_SECONDS')
  @IsInt()
  @Min(0)
  @Max(60)
  authCacheSeconds = 30;

  /** The layer store's data plane, as the registry reaches it. */
  @EnvVar('SILO_LAYER_STORE_URL')
  @IsUrl(URL_OPTIONS)
  layerStoreUrl = 'http://127.0.0.1:7071';

  /** The layer store as clients reach it (blob redirects); default: the request's host, store's port. */
  @EnvVar('SILO_LAYER_STORE_PUBLIC_URL')
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  layerStorePublicUrl?: string;

  /** `redirect`: blob GET answers 307 to a signed layer-store URL; `proxy`: the registry streams it. */
  @EnvVar('SILO_REGISTRY_BLOB_DELIVERY')
  @IsIn(['redirect', 'proxy'])
  blobDelivery: 'redirect' | 'proxy' = 'redirect';

  /**
   * `direct`: a blob upload's Location is a signed URL on the layer store, which takes the bytes
   * itself and reports the committed blob back over NATS; `proxy`: the bytes stream through the
   * registry. Either way the registry's own upload URLs keep working.
   */
  @EnvVar('SILO_REGISTRY_UPLOAD_DELIVERY')
  @IsIn(['direct', 'proxy'])
  uploadDelivery: 'direct' | 'proxy' = 'direct';

  /** How long a signed upload Location stays valid; every reply of an upload hands out a fresh one. */
  @EnvVar('SILO_UPLOAD_URL_TTL_SECONDS')
  @IsInt()
  @Min(60)
  @Max(7 * 86_400)
  uploadUrlTtlSeconds = 3600;

  @EnvVar('SILO_SIGNED_URL_TTL_SECONDS')
  @IsInt()
  @Min(10)
  @Max(86_400)
  signedUrlTtlSeconds = 300;

  /** GC never sweeps a blob uploaded, mounted or referenced more recently than this. */
  @EnvVar('SILO_REGISTRY_GC_GRACE_SECONDS')
  @IsInt()
  @Min(0)
  gcGraceSeconds = 3600;
}
