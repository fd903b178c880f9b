import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, In, LessThan, MoreThan, SelectQueryBuilder } from 'typeorm';
import { DatabaseWriter } from './database-writer';
import {
  BlobEntity,
  ManifestEntity,
  ManifestReferenceEntity,
  ReferenceKind,
  RepositoryBlobEntity,
  RepositoryEntity,
  TagEntity,
  UploadSessionEntity,
} from './entities';

export interface ManifestWrite {
  repository: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  subject: string | null;
  payload: Buffer;
  references: Array<{ target: string; kind: ReferenceKind }>;
  tag?: string;
}

export interface ReferrerRow {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  payload: Buffer;
}

/** Which repositories a catalog query covers: one by name, or those under a prefix (`team/`). */
export interface RepositoryScope {
  repository?: string;
  prefix?: string;
}

export interface RepositoryCounts {
  repository: string;
  tagCount: number;
  manifestCount: number;
  /** Latest tag update or manifest push (ISO), if any. */
  updatedAt?: string;
}

/** A blob a manifest of the repository references (config or layer), with its recorded size. */
export interface ReferencedBlob {
  repository: string;
  digest: string;
  /** null when the blob has no row in the registry's metadata. */
  size: number | null;
}

/** A manifest without its payload. */
export type ManifestSummary = Pick<ManifestEntity, 'digest' | 'mediaType' | 'size' | 'createdAt'>;

export interface RepositoryContents {
  tags: TagEntity[];
  manifests: ManifestSummary[];
  references: ManifestReferenceEntity[];
}

/** `prefix` as a LIKE pattern, its wildcards escaped (LIKE is case-insensitive on SQLite: callers recheck). */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

function scoped<T extends object>(qb: SelectQueryBuilder<T>, column: string, scope: RepositoryScope): SelectQueryBuilder<T> {
  if (scope.repository !== undefined) qb.andWhere(`${column} = :scopeRepository`, { scopeRepository: scope.repository });
  if (scope.prefix !== undefined) qb.andWhere(`${column} LIKE :scopePrefix ESCAPE '\\'`, { scopePrefix: likePrefix(scope.prefix) });
  return qb;
}

const inScope = (scope: RepositoryScope) => (name: string) =>
  (scope.repository === undefined || name === scope.repository) && (scope.prefix === undefined || name.startsWith(scope.prefix));

/**
 * The registry's metadata (repositories, blobs and links, manifests, references, tags, upload
 * sessions) behind one small interface, so services are testable with a fake.
 */
export abstract class RegistryMetadata {
  abstract repository(name: string): Promise<RepositoryEntity | null>;
  abstract listRepositories(after: string | undefined, limit: number): Promise<string[]>;
  abstract setPublic(name: string, isPublic: boolean): Promise<boolean>;

  abstract blob(digest: string): Promise<BlobEntity | null>;
  abstract isLinked(repository: string, digest: string): Promise<boolean>;
  /** Records a committed blob and links it to the repository (creating the repository). */
  abstract recordBlob(repository: string, digest: string, size: number, now: string, endUpload?: string): Promise<void>;
  /** Links an existing blob (mount); false if the blob is not known. */
  abstract link(repository: string, digest: string, now: string): Promise<boolean>;
  abstract unlink(repository: string, digest: string): Promise<boolean>;
  /** Refreshes a blob's touched time if it is older than `olderThan` (keeps it out of GC). */
  abstract touch(digest: string, olderThan: string, now: string): Promise<void>;

  abstract createUpload(session: UploadSessionEntity): Promise<void>;
  abstract upload(id: string): Promise<UploadSessionEntity | null>;
  abstract deleteUpload(id: string): Promise<void>;
  abstract uploads(): Promise<UploadSessionEntity[]>;

  abstract manifest(repository: string, digest: string): Promise<ManifestEntity | null>;
  abstract tag(repository: string, name: string): Promise<TagEntity | null>;
  /** Digests among `digests` that are not committed blobs. */
  abstract missingBlobs(digests: string[]): Promise<string[]>;
  /** Digests among `digests` that are not manifests of the repository. */
  abstract missingManifests(repository: string, digests: string[]): Promise<string[]>;
  abstract putManifest(write: ManifestWrite, now: string): Promise<void>;
  /** Deletes a manifest and the tags that point at it; the tags removed. */
  abstract deleteManifest(repository: string, digest: string): Promise<string[] | null>;
  abstract deleteTag(repository: string, name: string): Promise<boolean>;
  abstract listTags(repository: string, after: string | undefined, limit: number): Promise<string[]>;
  abstract referrers(repository: string, subject: string): Promise<ReferrerRow[]>;

  /** Catalog: repositories in the scope, by name. */
  abstract repositories(scope: RepositoryScope): Promise<RepositoryEntity[]>;
  /** Catalog: tag and manifest counts per repository in the scope (repositories with neither are absent). */
  abstract repositoryCounts(scope: RepositoryScope): Promise<RepositoryCounts[]>;
  /** Catalog: the distinct blobs (configs and layers) the manifests of each repository in the scope reference. */
  abstract referencedBlobs(scope: RepositoryScope): Promise<ReferencedBlob[]>;
  /** Catalog: a repository's tags, manifests (without payloads) and references. */
  abstract repositoryContents(repository: string): Promise<RepositoryContents>;
  /**
   * Removes an empty repository (no manifest left): its blob links, tags and row. False when a
   * manifest is still there (pushed meanwhile) or there was no repository.
   */
  abstract deleteRepositoryIfEmpty(repository: string): Promise<boolean>;

  /** GC: every digest a manifest references, in any repository. */
  abstract referencedDigests(): Promise<Set<string>>;
  /** GC: blobs not touched since `cutoff`. */
  abstract staleBlobs(cutoff: string): Promise<BlobEntity[]>;
  /**
   * GC: deletes the blob's row and links only if it is still untouched since `cutoff` and no
   * manifest references it — atomically, so a push racing with GC either sees the blob gone
   * (and uploads it again) or keeps it.
   */
  abstract forgetBlobIfUnused(digest: string, cutoff: string): Promise<boolean>;
}

@Injectable()
export class TypeOrmRegistryMetadata extends RegistryMetadata {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: DatabaseWriter,
  ) {
    super();
  }

  private write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.writer.write(work);
  }

  repository(name: string) {
    return this.db.getRepository(RepositoryEntity).findOneBy({ name });
  }

  async listRepositories(after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.db.getRepository(RepositoryEntity).find({
      where: after ? { name: MoreThan(after) } : {},
      order: { name: 'ASC' },
      take: limit,
      select: { name: true },
    });
    return rows.map((r) => r.name);
  }

  setPublic(name: string, isPublic: boolean): Promise<boolean> {
    return this.write(async (em) => ((await em.update(RepositoryEntity, { name }, { isPublic })).affected ?? 0) > 0);
  }

  blob(digest: string) {
    return this.db.getRepository(BlobEntity).findOneBy({ digest });
  }

  async isLinked(repository: string, digest: string): Promise<boolean> {
    return (await this.db.getRepository(RepositoryBlobEntity).countBy({ repository, digest })) > 0;
  }

  /** One transaction (one fsync): the blob, its link, and the end of the upload session that made it. */
  recordBlob(repository: string, digest: string, size: number, now: string, endUpload?: string): Promise<void> {
    return this.write(async (em) => {
      await this.ensureRepository(em, repository, now);
      await em.upsert(BlobEntity, { digest, size, createdAt: now, touchedAt: now }, ['digest']);
      await em.upsert(RepositoryBlobEntity, { repository, digest, createdAt: now }, ['repository', 'digest']);
      if (endUpload) await em.delete(UploadSessionEntity, { id: endUpload });
    });
  }

  link(repository: string, digest: string, now: string): Promise<boolean> {
    return this.write(async (em) => {
      const touched = await em.update(BlobEntity, { digest }, { touchedAt: now });
      if ((touched.affected ?? 0) === 0) return false;
      await this.ensureRepository(em, repository, now);
      await em.upsert(RepositoryBlobEntity, { repository, digest, createdAt: now }, ['repository', 'digest']);
      return true;
    });
  }

  unlink(repository: string, digest: string): Promise<boolean> {
    return this.write(async (em) => ((await em.delete(RepositoryBlobEntity, { repository, digest })).affected ?? 0) > 0);
  }

  touch(digest: string, olderThan: string, now: string): Promise<void> {
    return this.write(async (em) => {
      await em.update(BlobEntity, { digest, touchedAt: LessThan(olderThan) }, { touchedAt: now });
    });
  }

  createUpload(session: UploadSessionEntity): Promise<void> {
    return this.write(async (em) => {
      await this.ensureRepository(em, session.repository, session.startedAt);
      await em.insert(UploadSessionEntity, session);
    });
  }

  upload(id: string) {
    return this.db.getRepository(UploadSessionEntity).findOneBy({ id });
  }

  deleteUpload(id: string): Promise<void> {
    return this.write(async (em) => {
      await em.delete(UploadSessionEntity, { id });
    });
  }

  uploads() {
    return this.db.getRepository(UploadSessionEntity).find();
  }

  manifest(repository: string, digest: string) {
    return this.db.getRepository(ManifestEntity).findOneBy({ repository, digest });
  }

  tag(repository: string, name: string) {
    return this.db.getRepository(TagEntity).findOneBy({ repository, name });
  }

  async missingBlobs(digests: string[]): Promise<string[]> {
    if (digests.length === 0) return [];
    const found = await this.db.getRepository(BlobEntity).find({ where: { digest: In(digests) }, select: { digest: true } });
    const have = new Set(found.map((b) => b.digest));
    return digests.filter((d) => !have.has(d));
  }

  async missingManifests(repository: string, digests: string[]): Promise<string[]> {
    if (digests.length === 0) return [];
    const found = await this.db
      .getRepository(ManifestEntity)
      .find({ where: { repository, digest: In(digests) }, select: { digest: true } });
    const have = new Set(found.map((m) => m.digest));
    return digests.filter((d) => !have.has(d));
  }

  putManifest(write: ManifestWrite, now: string): Promise<void> {
    return this.write(async (em) => {
      await this.ensureRepository(em, write.repository, now);
      await em.upsert(
        ManifestEntity,
        {
          repository: write.repository,
          digest: write.digest,
          mediaType: write.mediaType,
          artifactType: write.artifactType,
          subject: write.subject,
          size: write.payload.length,
          payload: write.payload,
          createdAt: now,
        },
        ['repository', 'digest'],
      );
      await em.delete(ManifestReferenceEntity, { repository: write.repository, manifest: write.digest });
      const unique = new Map(write.references.map((r) => [r.target, r]));
      if (unique.size > 0) {
        await em.insert(
          ManifestReferenceEntity,
          [...unique.values()].map((r) => ({ repository: write.repository, manifest: write.digest, target: r.target, kind: r.kind })),
        );
      }
      const blobs = [...unique.values()].filter((r) => r.kind !== 'manifest').map((r) => r.target);
      if (blobs.length > 0) {
        await em.update(BlobEntity, { digest: In(blobs) }, { touchedAt: now });
        await em.upsert(
          RepositoryBlobEntity,
          blobs.map((digest) => ({ repository: write.repository, digest, createdAt: now })),
          ['repository', 'digest'],
        );
      }
      if (write.tag) {
        await em.upsert(TagEntity, { repository: write.repository, name: write.tag, digest: write.digest, updatedAt: now }, ['repository', 'name']);
      }
    });
  }

  deleteManifest(repository: string, digest: string): Promise<string[] | null> {
    return this.write(async (em) => {
      const removed = await em.delete(ManifestEntity, { repository, digest });
      if ((removed.affected ?? 0) === 0) return null;
      const tags = await em.find(TagEntity, { where: { repository, digest }, select: { name: true } });
      await em.delete(TagEntity, { repository, digest });
      await em.delete(ManifestReferenceEntity, { repository, manifest: digest });
      return tags.map((t) => t.name);
    });
  }

  deleteTag(repository: string, name: string): Promise<boolean> {
    return this.write(async (em) => ((await em.delete(TagEntity, { repository, name })).affected ?? 0) > 0);
  }

  async listTags(repository: string, after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.db.getRepository(TagEntity).find({
      where: after ? { repository, name: MoreThan(after) } : { repository },
      order: { name: 'ASC' },
      take: limit,
      select: { name: true },
    });
    return rows.map((r) => r.name);
  }

  async referrers(repository: string, subject: string): Promise<ReferrerRow[]> {
    return this.db.getRepository(ManifestEntity).find({
      where: { repository, subject },
      order: { digest: 'ASC' },
      select: { digest: true, mediaType: true, artifactType: true, size: true, payload: true },
    });
  }

  async repositories(scope: RepositoryScope): Promise<RepositoryEntity[]> {
    const rows = await scoped(this.db.getRepository(RepositoryEntity).createQueryBuilder('repo'), 'repo.name', scope).orderBy('repo.name', 'ASC').getMany();
    return rows.filter((r) => inScope(scope)(r.name));
  }

  async repositoryCounts(scope: RepositoryScope): Promise<RepositoryCounts[]> {
    const tags: Array<{ repository: string; n: string | number; last: string | null }> = await scoped(
      this.db.getRepository(TagEntity).createQueryBuilder('t').select('t.repository', 'repository').addSelect('COUNT(*)', 'n').addSelect('MAX(t.updatedAt)', 'last'),
      't.repository',
      scope,
    )
      .groupBy('t.repository')
      .getRawMany();
    const manifests: Array<{ repository: string; n: string | number; last: string | null }> = await scoped(
      this.db.getRepository(ManifestEntity).createQueryBuilder('m').select('m.repository', 'repository').addSelect('COUNT(*)', 'n').addSelect('MAX(m.createdAt)', 'last'),
      'm.repository',
      scope,
    )
      .groupBy('m.repository')
      .getRawMany();
    const counts = new Map<string, RepositoryCounts>();
    const entry = (repository: string) => {
      let c = counts.get(repository);
      if (!c) counts.set(repository, (c = { repository, tagCount: 0, manifestCount: 0 }));
      return c;
    };
    const later = (a: string | undefined, b: string | null) => (b && (!a || b > a) ? b : a);
    for (const row of tags) {
      const c = entry(row.repository);
      c.tagCount = Number(row.n);
      c.updatedAt = later(c.updatedAt, row.last);
    }
    for (const row of manifests) {
      const c = entry(row.repository);
      c.manifestCount = Number(row.n);
      c.updatedAt = later(c.updatedAt, row.last);
    }
    return [...counts.values()].filter((c) => inScope(scope)(c.repository)).sort((a, b) => (a.repository < b.repository ? -1 : 1));
  }

  async referencedBlobs(scope: RepositoryScope): Promise<ReferencedBlob[]> {
    const rows: Array<{ repository: string; digest: string; size: string | number | null }> = await scoped(
      this.db
        .createQueryBuilder()
        .distinct(true)
        .select('r.repository', 'repository')
        .addSelect('r.target', 'digest')
        .addSelect('b.size', 'size')
        .from(ManifestReferenceEntity, 'r')
        .leftJoin(BlobEntity, 'b', 'b.digest = r.target')
        .where(`r.kind <> 'manifest'`),
      'r.repository',
      scope,
    ).getRawMany();
    return rows
      .filter((r) => inScope(scope)(r.repository))
      .map((r) => ({ repository: r.repository, digest: r.digest, size: r.size === null || r.size === undefined ? null : Number(r.size) }));
  }

  async repositoryContents(repository: string): Promise<RepositoryContents> {
    const [tags, manifests, references] = await Promise.all([
      this.db.getRepository(TagEntity).find({ where: { repository }, order: { name: 'ASC' } }),
      this.db.getRepository(ManifestEntity).find({
        where: { repository },
        order: { digest: 'ASC' },
        select: { digest: true, mediaType: true, size: true, createdAt: true },
      }),
      this.db.getRepository(ManifestReferenceEntity).find({ where: { repository } }),
    ]);
    return { tags, manifests, references };
  }

  deleteRepositoryIfEmpty(repository: string): Promise<boolean> {
    return this.write(async (em) => {
      if ((await em.countBy(ManifestEntity, { repository })) > 0) return false;
      const removed = await em.delete(RepositoryEntity, { name: repository });
      await em.delete(RepositoryBlobEntity, { repository });
      await em.delete(TagEntity, { repository });
      return (removed.affected ?? 0) > 0;
    });
  }

  async referencedDigests(): Promise<Set<string>> {
    const rows = await this.db.getRepository(ManifestReferenceEntity).createQueryBuilder('r').select('DISTINCT r.target', 'target').getRawMany();
    return new Set(rows.map((r: { target: string }) => r.target));
  }

  staleBlobs(cutoff: string) {
    return this.db.getRepository(BlobEntity).find({ where: { touchedAt: LessThan(cutoff) }, order: { digest: 'ASC' } });
  }

  forgetBlobIfUnused(digest: string, cutoff: string): Promise<boolean> {
    return this.write(async (em) => {
      const removed = await em
        .createQueryBuilder()
        .delete()
        .from(BlobEntity)
        .where('digest = :digest', { digest })
        .andWhere('touched_at < :cutoff', { cutoff })
        .andWhere(
          new Brackets((qb) =>
            qb.where(`NOT EXISTS (SELECT 1 FROM "manifest_reference" r WHERE r."target" = :digest)`, { digest }),
          ),
        )
        .execute();
      if ((removed.affected ?? 0) === 0) return false;
      await em.delete(RepositoryBlobEntity, { digest });
      return true;
    });
  }

  private async ensureRepository(em: EntityManager, name: string, now: string): Promise<void> {
    await em.createQueryBuilder().insert().into(RepositoryEntity).values({ name, createdAt: now, isPublic: false }).orIgnore().execute();
  }
}
