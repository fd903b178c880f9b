import { Injectable } from '@nestjs/common';
import {
  ManifestDeleteReply,
  ManifestGetReply,
  ManifestLayerView,
  RepositoryDeleteReply,
  RepositoryDetail,
  RepositorySummary,
  TagView,
} from '@silo/contracts';
import { isDigest, isRepositoryName, isTag, SiloError } from '@silo/domain';
import { ManifestService, ManifestUnknown, NameUnknown } from '../manifests/manifest.service';
import { MediaTypes } from '../manifests/manifest-parser';
import { ReferencedBlob, RegistryMetadata, RepositoryContents, RepositoryCounts } from '../metadata/registry-metadata';
import { RepositoryEntity } from '../metadata/entities';
import { BlobContentReader } from '../storage/blob-content';
import { BlobStore } from '../storage/blob-store';
import { deletionOrder, distinctBytes, imageSize, ManifestNode } from './image-size';

/** Image config media types whose blob is parsed for `manifest.get`. */
const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
const INDEXES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerList]);
/** Image configs are small; a larger "config" is not parsed into a reply. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const STAT_CONCURRENCY = 8;

/** Parsed reference: a digest when it has a colon, else a tag (as the distribution routes do). */
function checkReference(name: string, reference: string): boolean {
  if (!isRepositoryName(name)) throw new SiloError('NAME_INVALID', `invalid repository name "${name.slice(0, 64)}"`);
  const byDigest = reference.includes(':');
  if (byDigest ? !isDigest(reference) : !isTag(reference)) {
    throw new SiloError(byDigest ? 'DIGEST_INVALID' : 'MANIFEST_INVALID', `invalid reference "${reference.slice(0, 64)}"`);
  }
  return byDigest;
}

function graph(contents: RepositoryContents): Map<string, ManifestNode> {
  const nodes = new Map<string, ManifestNode>(contents.manifests.map((m) => [m.digest, { size: m.size, references: [] }]));
  for (const ref of contents.references) nodes.get(ref.manifest)?.references.push({ target: ref.target, kind: ref.kind });
  return nodes;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * What the registry holds, for the api and the dashboard: repositories with sizes, tags, and
 * manifests with their parsed image config. Deletes go through ManifestService, so they behave
 * (and emit `silo.registry.deleted`) exactly as the distribution API's DELETE does.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly metadata: RegistryMetadata,
    private readonly manifests: ManifestService,
    private readonly store: BlobStore,
    private readonly blobs: BlobContentReader,
  ) {}

  async list(team?: string): Promise<RepositorySummary[]> {
    const scope = team === undefined ? {} : { prefix: `${team}/` };
    const [repositories, counts, referenced] = await Promise.all([
      this.metadata.repositories(scope),
      this.metadata.repositoryCounts(scope),
      this.metadata.referencedBlobs(scope),
    ]);
    const sizes = await this.blobSizes(referenced);
    const byRepository = new Map<string, string[]>();
    for (const ref of referenced) {
      let digests = byRepository.get(ref.repository);
      if (!digests) byRepository.set(ref.repository, (digests = []));
      digests.push(ref.digest);
    }
    const countsOf = new Map(counts.map((c) => [c.repository, c]));
    return repositories.map((repo) => this.summary(repo, countsOf.get(repo.name), distinctBytes(byRepository.get(repo.name) ?? [], sizes)));
  }

  async get(name: string): Promise<RepositoryDetail> {
    if (!isRepositoryName(name)) throw new SiloError('NAME_INVALID', `invalid repository name "${name.slice(0, 64)}"`);
    const repo = await this.metadata.repository(name);
    if (!repo) throw new NameUnknown(name);
    const [contents, referenced, counts] = await Promise.all([
      this.metadata.repositoryContents(name),
      this.metadata.referencedBlobs({ repository: name }),
      this.metadata.repositoryCounts({ repository: name }),
    ]);
    const sizes = await this.blobSizes(referenced);
    const nodes = graph(contents);
    const mediaTypes = new Map(contents.manifests.map((m) => [m.digest, m.mediaType]));
    const tags: TagView[] = contents.tags
      .filter((tag) => mediaTypes.has(tag.digest))
      .map((tag) => ({ tag: tag.name, digest: tag.digest, mediaType: mediaTypes.get(tag.digest)!, sizeBytes: imageSize(tag.digest, nodes, sizes), updatedAt: tag.updatedAt }));
    return { ...this.summary(repo, counts[0], distinctBytes(referenced.map((r) => r.digest), sizes)), tags };
  }

  async manifest(name: string, reference: string): Promise<ManifestGetReply> {
    const byDigest = checkReference(name, reference);
    const manifest = await this.manifests.get(name, reference, byDigest);
    const document = asObject(JSON.parse(manifest.payload.toString('utf8')));
    if (!document) throw new SiloError('MANIFEST_INVALID', `the stored manifest ${manifest.digest} is not a JSON object`);
    const [contents, referenced] = await Promise.all([this.metadata.repositoryContents(name), this.metadata.referencedBlobs({ repository: name })]);
    const sizes = await this.blobSizes(referenced);
    const reply: ManifestGetReply = {
      name,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      sizeBytes: imageSize(manifest.digest, graph(contents), sizes),
      manifest: document,
      layers: [],
      tags: contents.tags.filter((t) => t.digest === manifest.digest).map((t) => t.name),
    };
    if (INDEXES.has(manifest.mediaType)) return reply;
    reply.layers = (Array.isArray(document['layers']) ? document['layers'] : [])
      .map(asObject)
      .filter((l): l is Record<string, unknown> => l !== undefined)
      .map((l): ManifestLayerView => ({ digest: String(l['digest']), mediaType: String(l['mediaType']), size: Number(l['size']) }));
    const config = asObject(document['config']);
    if (config && typeof config['digest'] === 'string' && IMAGE_CONFIGS.has(String(config['mediaType']))) {
      const parsed = asObject(JSON.parse((await this.blobs.read(config['digest'], MAX_CONFIG_BYTES)).toString('utf8')));
      if (parsed) reply.config = parsed;
    }
    return reply;
  }

  async deleteManifest(name: string, reference: string): Promise<ManifestDeleteReply> {
    const byDigest = checkReference(name, reference);
    const deleted = await this.manifests.delete(name, reference, byDigest);
    return { name, deletedTags: deleted.tags, ...(deleted.digest ? { deletedDigest: deleted.digest } : {}) };
  }

  /** Every manifest and tag (each delete announced as the HTTP DELETE does), then the repository itself. */
  async deleteRepository(name: string): Promise<RepositoryDeleteReply> {
    if (!isRepositoryName(name)) throw new SiloError('NAME_INVALID', `invalid repository name "${name.slice(0, 64)}"`);
    if (!(await this.metadata.repository(name))) throw new NameUnknown(name);
    const contents = await this.metadata.repositoryContents(name);
    let deletedManifests = 0;
    for (const digest of deletionOrder(graph(contents))) {
      try {
        await this.manifests.delete(name, digest, true);
        deletedManifests += 1;
      } catch (err) {
        if (!(err instanceof ManifestUnknown)) throw err; // deleted meanwhile by someone else
      }
    }
    await this.metadata.deleteRepositoryIfEmpty(name);
    return { name, deletedManifests };
  }

  private summary(repo: RepositoryEntity, counts: RepositoryCounts | undefined, sizeBytes: number): RepositorySummary {
    return {
      name: repo.name,
      public: repo.isPublic,
      tagCount: counts?.tagCount ?? 0,
      manifestCount: counts?.manifestCount ?? 0,
      sizeBytes,
      ...(counts?.updatedAt ? { updatedAt: counts.updatedAt } : {}),
    };
  }

  /** Sizes from the metadata; a blob the metadata has no size for is asked of the layer store. */
  private async blobSizes(referenced: ReferencedBlob[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    const unknown = new Set<string>();
    for (const ref of referenced) {
      if (ref.size === null) unknown.add(ref.digest);
      else sizes.set(ref.digest, ref.size);
    }
    const pending = [...unknown].filter((d) => !sizes.has(d));
    const worker = async () => {
      for (let digest = pending.pop(); digest !== undefined; digest = pending.pop()) {
        const size = await this.store.stat(digest);
        if (size !== undefined) sizes.set(digest, size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, pending.length) }, worker));
    return sizes;
  }
}
