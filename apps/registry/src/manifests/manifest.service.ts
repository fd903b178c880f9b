import { Injectable } from '@nestjs/common';
import { parseDigest, SiloError } from '@silo/domain';
import { Clock } from '@silo/service-kit';
import { createHash } from 'node:crypto';
import { RegistryEvents } from '../events/registry-events';
import { ManifestEntity } from '../metadata/entities';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { parseManifest } from './manifest-parser';

/** The OCI limit a registry should accept at least; larger manifests get 413. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export class ManifestUnknown extends SiloError {
  constructor(repository: string, reference: string) {
    super('MANIFEST_UNKNOWN', `manifest ${reference} is not in ${repository}`, { reference });
  }
}

export class NameUnknown extends SiloError {
  constructor(repository: string) {
    super('NAME_UNKNOWN', `repository ${repository} is not known to the registry`, { name: repository });
  }
}

/** What a delete removed: the tags, and the manifest's digest when it was deleted by digest. */
export interface DeletedManifest {
  tags: string[];
  digest?: string;
}

export interface StoredManifest {
  digest: string;
  subject: string | null;
}

@Injectable()
export class ManifestService {
  constructor(
    private readonly metadata: RegistryMetadata,
    private readonly events: RegistryEvents,
    private readonly clock: Clock,
  ) {}

  async get(repository: string, reference: string, byDigest: boolean): Promise<ManifestEntity> {
    let digest = reference;
    if (!byDigest) {
      const tag = await this.metadata.tag(repository, reference);
      if (!tag) {
        if (!(await this.metadata.repository(repository))) throw new NameUnknown(repository);
        throw new ManifestUnknown(repository, reference);
      }
      digest = tag.digest;
    }
    const manifest = await this.metadata.manifest(repository, digest);
    if (!manifest) {
      if (!(await this.metadata.repository(repository))) throw new NameUnknown(repository);
      throw new ManifestUnknown(repository, reference);
    }
    return manifest;
  }

  /**
   * Stores a manifest byte for byte after checking it: its digest (when pushed by digest), its
   * schema, and that everything it references is already in the registry.
   */
  async put(repository: string, reference: string, byDigest: boolean, contentType: string | undefined, payload: Buffer): Promise<StoredManifest> {
    const algorithm = byDigest ? parseDigest(reference).algorithm : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(payload).digest('hex')}`;
    if (byDigest && digest !== reference) {
      throw new SiloError('DIGEST_INVALID', `the manifest's digest is ${digest}, not ${reference}`, { expected: reference, actual: digest });
    }
    const parsed = parseManifest(contentType, payload);
    const missing =
      parsed.kind === 'index'
        ? await this.metadata.missingManifests(repository, parsed.references.map((r) => r.target))
        : await this.metadata.missingBlobs(parsed.references.map((r) => r.target));
    if (missing.length > 0) {
      throw new SiloError('MANIFEST_BLOB_UNKNOWN', `the manifest references ${missing.length} unknown ${parsed.kind === 'index' ? 'manifest(s)' : 'blob(s)'}: ${missing.join(', ')}`, {
        missing,
      });
    }
    await this.metadata.putManifest(
      {
        repository,
        digest,
        mediaType: parsed.mediaType,
        artifactType: parsed.artifactType,
        subject: parsed.subject,
        payload,
        references: parsed.references,
        tag: byDigest ? undefined : reference,
      },
      this.clock.now().toISOString(),
    );
    this.events.pushed({ repository, tag: byDigest ? undefined : reference, digest, size: payload.length, mediaType: parsed.mediaType, public: await this.isPublic(repository) });
    return { digest, subject: parsed.subject };
  }

  /** By digest: the manifest and every tag on it. By tag: just the tag. Emits `silo.registry.deleted`. */
  async delete(repository: string, reference: string, byDigest: boolean): Promise<DeletedManifest> {
    if (byDigest) {
      const tags = await this.metadata.deleteManifest(repository, reference);
      if (tags === null) throw new ManifestUnknown(repository, reference);
      this.events.deleted({ repository, digest: reference, tags, public: await this.isPublic(repository) });
      return { tags, digest: reference };
    }
    if (!(await this.metadata.deleteTag(repository, reference))) throw new ManifestUnknown(repository, reference);
    this.events.deleted({ repository, tags: [reference], public: await this.isPublic(repository) });
    return { tags: [reference] };
  }

  private async isPublic(repository: string): Promise<boolean> {
    return (await this.metadata.repository(repository))?.isPublic ?? false;
  }
}
