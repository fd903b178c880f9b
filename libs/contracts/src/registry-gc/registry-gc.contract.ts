import { IsArray, IsBoolean, IsInt, IsISO8601, IsOptional, IsString, Min } from 'class-validator';

/** `silo.registry.gc.run` (command): mark from every manifest, sweep what nothing references. */
export class RegistryGcRequest {
  @IsOptional() @IsBoolean() dryRun?: boolean;
}

export class RegistryGcReply {
  @IsBoolean() dryRun!: boolean;
  @IsISO8601() startedAt!: string;
  @IsInt() @Min(0) durationMs!: number;
  /** Blobs nothing referenced any more (deleted, or would be in a dry run). */
  @IsInt() @Min(0) blobsSwept!: number;
  @IsInt() @Min(0) bytesFreed!: number;
  /** Bytes in the layer store that the registry never recorded (an interrupted push). */
  @IsInt() @Min(0) orphansSwept!: number;
  @IsInt() @Min(0) uploadsPurged!: number;
  /** Digests swept (first 1000). */
  @IsArray() @IsString({ each: true }) digests!: string[];
  /** Blobs kept only because they were touched within the grace period. */
  @IsInt() @Min(0) keptInGrace!: number;
}
