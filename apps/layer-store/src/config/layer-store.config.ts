import { BaseServiceConfig, EnvVar } from '@silo/service-kit';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { join } from 'node:path';

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

  get blobRoot(): string {
    return this.root ?? join(this.home, 'layer-store');
  }
}
