import { Injectable } from '@nestjs/common';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { MediaTypes } from './manifest-parser';

export interface ReferrersIndex {
  body: { schemaVersion: 2; mediaType: string; manifests: Array<Record<string, unknown>> };
  filtered: boolean;
}

/** The referrers API: manifests whose `subject` is a digest, as an image index (empty if none). */
@Injectable()
export class ReferrersService {
  constructor(private readonly metadata: RegistryMetadata) {}

  async list(repository: string, subject: string, artifactType?: string): Promise<ReferrersIndex> {
    const rows = await this.metadata.referrers(repository, subject);
    const manifests = rows
      .filter((row) => !artifactType || row.artifactType === artifactType)
      .map((row) => {
        const descriptor: Record<string, unknown> = { mediaType: row.mediaType, digest: row.digest, size: row.size };
        if (row.artifactType) descriptor['artifactType'] = row.artifactType;
        const annotations = readAnnotations(row.payload);
        if (annotations) descriptor['annotations'] = annotations;
        return descriptor;
      });
    return { body: { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }, filtered: Boolean(artifactType) };
  }
}

function readAnnotations(payload: Buffer): Record<string, string> | undefined {
  try {
    const json = JSON.parse(payload.toString('utf8')) as { annotations?: Record<string, string> };
    return json.annotations && Object.keys(json.annotations).length > 0 ? json.annotations : undefined;
  } catch {
    return undefined;
  }
}
