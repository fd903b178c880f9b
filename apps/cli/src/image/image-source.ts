import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** A blob to push: config or layer, read from a file when its turn comes. */
export interface BlobSource {
  digest: string;
  size: number;
  mediaType: string;
  /** For progress: `layer 2/5` or `config`. */
  label: string;
  open(): Readable;
}

/** A manifest (image manifest or index) to put, children before parents. */
export interface ManifestSource {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** What `silo image push` sends: blobs, then manifests (the last one gets the tag). */
export interface ImageToPush {
  blobs: BlobSource[];
  manifests: ManifestSource[];
  /** The name the source suggests: an OCI ref name or a docker RepoTag. */
  suggestedReference?: string;
  /** What it was read from, for messages. */
  source: string;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function fileBlob(path: string, digest: string, size: number, mediaType: string, label: string): BlobSource {
  return { digest, size, mediaType, label, open: () => createReadStream(path) };
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;
