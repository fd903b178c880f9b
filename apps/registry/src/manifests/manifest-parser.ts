import { isDigest, SiloError } from '@silo/domain';
import type { ReferenceKind } from '../metadata/entities';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const MANIFESTS = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const INDEXES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerList]);
/** Generic types a client may send when it does not name the manifest type. */
const GENERIC = new Set(['', 'application/json', 'application/octet-stream']);
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export interface ParsedManifest {
  mediaType: string;
  kind: 'manifest' | 'index';
  /** What must exist before the manifest is accepted (blobs for manifests, manifests for indexes). */
  references: Array<{ target: string; kind: ReferenceKind }>;
  subject: string | null;
  /** artifactType, falling back to the config's media type (the referrers filter). */
  artifactType: string | null;
  annotations?: Record<string, string>;
}

class ManifestInvalid extends SiloError {
  constructor(message: string) {
    super('MANIFEST_INVALID', message);
  }
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: unknown;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestInvalid(`${where} must be a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d['mediaType'] !== 'string' || !MEDIA_TYPE.test(d['mediaType'])) throw new ManifestInvalid(`${where}.mediaType is missing or invalid`);
  if (typeof d['digest'] !== 'string' || !isDigest(d['digest'])) throw new ManifestInvalid(`${where}.digest is missing or invalid`);
  if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0) throw new ManifestInvalid(`${where}.size must be a non-negative integer`);
  return d as unknown as Descriptor;
}

/** Layers a registry may not have (Windows foreign layers): referenced by URL, not required. */
function nonDistributable(mediaType: string): boolean {
  return mediaType.includes('nondistributable') || mediaType.includes('foreign');
}

/**
 * Validates a manifest or index (OCI image spec v1.1 and Docker schema 2) and says what it
 * references. Pure: no I/O. The payload itself is stored byte for byte, unknown fields included.
 */
export function parseManifest(contentType: string | undefined, payload: Buffer): ParsedManifest {
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    json = parsed as Record<string, unknown>;
  } catch (err) {
    throw new ManifestInvalid(`manifest is not a JSON object: ${err instanceof Error ? err.message : String(err)}`);
  }
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const field = typeof json['mediaType'] === 'string' ? json['mediaType'] : undefined;
  if (field !== undefined && !GENERIC.has(header) && field !== header) {
    throw new ManifestInvalid(`Content-Type ${header} does not match the manifest's mediaType ${field}`);
  }
  const mediaType = !GENERIC.has(header) ? header : (field ?? ('manifests' in json ? MediaTypes.ociIndex : MediaTypes.ociManifest));
  if (!MANIFESTS.has(mediaType) && !INDEXES.has(mediaType)) {
    throw new ManifestInvalid(`unsupported manifest media type ${mediaType}`);
  }
  if (json['schemaVersion'] !== 2) throw new ManifestInvalid('schemaVersion must be 2');
  const subject = json['subject'] === undefined ? null : descriptor(json['subject'], 'subject').digest;
  const artifactType = typeof json['artifactType'] === 'string' ? json['artifactType'] : null;
  if (artifactType !== null && !MEDIA_TYPE.test(artifactType)) throw new ManifestInvalid('artifactType is not a media type');
  const annotations = typeof json['annotations'] === 'object' && json['annotations'] !== null ? (json['annotations'] as Record<string, string>) : undefined;

  if (INDEXES.has(mediaType)) {
    if (!Array.isArray(json['manifests'])) throw new ManifestInvalid('an index needs a manifests array');
    const references = json['manifests'].map((m, i) => ({ target: descriptor(m, `manifests[${i}]`).digest, kind: 'manifest' as const }));
    return { mediaType, kind: 'index', references, subject, artifactType, annotations };
  }
  const config = descriptor(json['config'], 'config');
  if (json['layers'] !== undefined && !Array.isArray(json['layers'])) throw new ManifestInvalid('layers must be an array');
  const layers = ((json['layers'] as unknown[] | undefined) ?? []).map((l, i) => descriptor(l, `layers[${i}]`));
  if (mediaType === MediaTypes.dockerManifest && layers.length === 0) throw new ManifestInvalid('a Docker image manifest needs layers');
  const references: ParsedManifest['references'] = [{ target: config.digest, kind: 'config' }];
  for (const layer of layers) if (!nonDistributable(layer.mediaType)) references.push({ target: layer.digest, kind: 'layer' });
  return { mediaType, kind: 'manifest', references, subject, artifactType: artifactType ?? config.mediaType, annotations };
}
