import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string; sizes fit in a JS number. */
const bigintNumber: ValueTransformer = { to: (v: number) => v, from: (v: string | number) => Number(v) };
/** Manifests are kept byte for byte: base64 in a text column works the same on both databases. */
const base64Bytes: ValueTransformer = {
  to: (v: Buffer) => v.toString('base64'),
  from: (v: string) => Buffer.from(v, 'base64'),
};

/** A repository (`team/app`). Created by its first push. */
@Entity({ name: 'repository' })
export class RepositoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) name!: string;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
  /** Anonymous pull allowed. */
  @Column({ name: 'is_public', type: 'boolean', default: false }) isPublic!: boolean;
}

/** A blob committed in the layer store. The registry's database is the truth of what exists. */
@Entity({ name: 'blob' })
export class BlobEntity {
  @PrimaryColumn({ type: 'varchar', length: 135 }) digest!: string;
  @Column({ type: 'bigint', transformer: bigintNumber }) size!: number;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
  /** Last upload, mount or manifest reference: GC keeps blobs touched within its grace period. */
  @Column({ name: 'touched_at', type: 'varchar', length: 32 }) touchedAt!: string;
}

/** A blob is visible in a repository only through a link (upload, mount or manifest reference). */
@Entity({ name: 'repository_blob' })
export class RepositoryBlobEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) repository!: string;
  @PrimaryColumn({ type: 'varchar', length: 135 }) digest!: string;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
}

@Entity({ name: 'manifest' })
export class ManifestEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) repository!: string;
  @PrimaryColumn({ type: 'varchar', length: 135 }) digest!: string;
  @Column({ name: 'media_type', type: 'varchar', length: 255 }) mediaType!: string;
  /** artifactType, or the config's media type for image manifests (referrers filter). */
  @Column({ name: 'artifact_type', type: 'varchar', length: 255, nullable: true }) artifactType!: string | null;
  @Column({ type: 'varchar', length: 135, nullable: true }) subject!: string | null;
  @Column({ type: 'bigint', transformer: bigintNumber }) size!: number;
  @Column({ type: 'text', transformer: base64Bytes }) payload!: Buffer;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
}

export type ReferenceKind = 'config' | 'layer' | 'manifest';

/** What a manifest points at: GC marks from these; deletes check them. */
@Entity({ name: 'manifest_reference' })
export class ManifestReferenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) repository!: string;
  @PrimaryColumn({ type: 'varchar', length: 135 }) manifest!: string;
  @PrimaryColumn({ type: 'varchar', length: 135 }) target!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: ReferenceKind;
}

@Entity({ name: 'tag' })
export class TagEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 }) repository!: string;
  @PrimaryColumn({ type: 'varchar', length: 128 }) name!: string;
  @Column({ type: 'varchar', length: 135 }) digest!: string;
  @Column({ name: 'updated_at', type: 'varchar', length: 32 }) updatedAt!: string;
}

/** An upload in progress: the OCI session id, mapped to the layer store's upload. */
@Entity({ name: 'upload_session' })
export class UploadSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 255 }) repository!: string;
  @Column({ name: 'store_upload_id', type: 'varchar', length: 64 }) storeUploadId!: string;
  @Column({ name: 'started_at', type: 'varchar', length: 32 }) startedAt!: string;
}

export const REGISTRY_ENTITIES = [
  RepositoryEntity,
  BlobEntity,
  RepositoryBlobEntity,
  ManifestEntity,
  ManifestReferenceEntity,
  TagEntity,
  UploadSessionEntity,
];
