import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';

/** sha256 or sha512 digest, as the OCI image spec registers them. */
export const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** `silo.layer-store.blob.stat` (query). */
export class BlobStatRequest {
  @Matches(DIGEST_PATTERN) digest!: string;
}

export class BlobStatReply {
  @IsString() digest!: string;
  @IsBoolean() exists!: boolean;
  @IsOptional() @IsInt() @Min(0) size?: number;
  @IsOptional() @IsISO8601() committedAt?: string;
}

/**
 * `silo.layer-store.blob.delete` (command). With `ifCommittedBefore`, a blob committed at or after
 * that instant is kept (a push may be about to reference it): GC passes its grace cut-off.
 */
export class BlobDeleteRequest {
  @Matches(DIGEST_PATTERN) digest!: string;
  @IsOptional() @IsISO8601() ifCommittedBefore?: string;
}

export class BlobDeleteReply {
  @IsString() digest!: string;
  @IsBoolean() deleted!: boolean;
  /** Bytes freed (0 when not deleted). */
  @IsInt() @Min(0) freedBytes!: number;
}

/** `silo.layer-store.blob.list` (query): digests in lexical order, paged. */
export class BlobListRequest {
  @IsOptional() @Matches(DIGEST_PATTERN) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(5000) limit?: number;
}

export class BlobEntry {
  @IsString() digest!: string;
  @IsInt() @Min(0) size!: number;
  @IsISO8601() committedAt!: string;
}

export class BlobListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => BlobEntry) blobs!: BlobEntry[];
  /** Pass as `after` for the next page; absent on the last page. */
  @IsOptional() @IsString() next?: string;
}

/** `silo.layer-store.usage` (query). */
export class StoreUsageRequest {}

export class StoreUsageReply {
  @IsString() backend!: string;
  @IsInt() @Min(0) blobs!: number;
  @IsInt() @Min(0) bytes!: number;
  @IsInt() @Min(0) uploads!: number;
  @IsInt() @Min(0) uploadBytes!: number;
}

/** `silo.layer-store.upload.purge` (command): removes uploads untouched for `olderThanSeconds`. */
export class UploadPurgeRequest {
  @IsInt() @Min(0) olderThanSeconds!: number;
}

export class UploadPurgeReply {
  @IsInt() @Min(0) purged!: number;
  @IsInt() @Min(0) freedBytes!: number;
}
