import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsISO8601, IsObject, IsOptional, IsString, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';

/**
 * What the registry holds, for the api and the dashboard (queries on `silo.registry.repository.*`
 * and `silo.registry.manifest.*`, queue group silo.registry). Authorization is the api's job: these
 * answer for any repository; `team` filters to one namespace.
 */

/** `silo.registry.repository.list` (query). */
export class RepositoryListRequest {
  /** Only repositories under `<team>/`. */
  @IsOptional() @IsString() @MaxLength(255) team?: string;
}

export class RepositorySummary {
  @IsString() name!: string;
  @IsBoolean() public!: boolean;
  @IsInt() @Min(0) tagCount!: number;
  @IsInt() @Min(0) manifestCount!: number;
  /** Bytes of the distinct blobs its manifests reference (config and layers), counted once. */
  @IsInt() @Min(0) sizeBytes!: number;
  @IsOptional() @IsISO8601() updatedAt?: string;
}

export class RepositoryListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => RepositorySummary) repositories!: RepositorySummary[];
}

/** `silo.registry.repository.get` (query): `NAME_UNKNOWN` when absent. */
export class RepositoryGetRequest {
  @IsString() @MinLength(1) @MaxLength(255) name!: string;
}

export class TagView {
  @IsString() tag!: string;
  @IsString() digest!: string;
  @IsString() mediaType!: string;
  /** Manifest plus the blobs it references (for an index: its children's, counted once). */
  @IsInt() @Min(0) sizeBytes!: number;
  @IsISO8601() updatedAt!: string;
}

export class RepositoryDetail extends RepositorySummary {
  @IsArray() @ValidateNested({ each: true }) @Type(() => TagView) tags!: TagView[];
}

export class RepositoryGetReply {
  @ValidateNested() @Type(() => RepositoryDetail) repository!: RepositoryDetail;
}

/** `silo.registry.manifest.get` (query): a manifest by tag or digest (`MANIFEST_UNKNOWN`). */
export class ManifestGetRequest {
  @IsString() @MinLength(1) @MaxLength(255) name!: string;
  @IsString() @MinLength(1) @MaxLength(255) reference!: string;
}

export class ManifestLayerView {
  @IsString() digest!: string;
  @IsString() mediaType!: string;
  @IsInt() @Min(0) size!: number;
}

export class ManifestGetReply {
  @IsString() name!: string;
  @IsString() digest!: string;
  @IsString() mediaType!: string;
  @IsInt() @Min(0) sizeBytes!: number;
  /** The manifest document as stored. */
  @IsObject() manifest!: Record<string, unknown>;
  /** For an image manifest: its config blob parsed (architecture, os, config.Entrypoint/Cmd/Env…). */
  @IsOptional() @IsObject() config?: Record<string, unknown>;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ManifestLayerView) layers!: ManifestLayerView[];
  /** Tags pointing at this digest. */
  @IsArray() @IsString({ each: true }) tags!: string[];
}

/**
 * `silo.registry.manifest.delete` (command): by digest removes the manifest and every tag on it;
 * by tag removes only the tag. Emits `silo.registry.deleted`.
 */
export class ManifestDeleteRequest {
  @IsString() @MinLength(1) @MaxLength(255) name!: string;
  @IsString() @MinLength(1) @MaxLength(255) reference!: string;
}

export class ManifestDeleteReply {
  @IsString() name!: string;
  @IsArray() @IsString({ each: true }) deletedTags!: string[];
  @IsOptional() @IsString() deletedDigest?: string;
}

/** `silo.registry.repository.delete` (command): every manifest and tag of the repository. */
export class RepositoryDeleteReply {
  @IsString() name!: string;
  @IsInt() @Min(0) deletedManifests!: number;
}
