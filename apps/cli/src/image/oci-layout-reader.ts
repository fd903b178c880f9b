import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BlobSource, fileBlob, ImageToPush, ManifestSource, MEDIA, sha256 } from './image-source';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface Manifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

const REF_NAME = 'org.opencontainers.image.ref.name';

export function isOciLayout(dir: string): boolean {
  return existsSync(join(dir, 'oci-layout')) && existsSync(join(dir, 'index.json'));
}

function blobPath(dir: string, digest: string): string {
  const m = /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(digest);
  if (!m) throw new Error(`bad digest ${digest} in the layout`);
  return join(dir, 'blobs', m[1]!, m[2]!);
}

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`): the image the tag
 * names (`--ref`, else the only one), an image manifest or an index with its platform images.
 * Blobs are pushed as they are (compressed layers stay compressed); manifests byte for byte.
 */
export function readOciLayout(dir: string, ref?: string): ImageToPush {
  if (!isOciLayout(dir)) throw new Error(`${dir} is not an OCI image layout (no oci-layout and index.json)`);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Manifest;
  const entries = index.manifests ?? [];
  let chosen: Descriptor | undefined;
  if (ref) {
    chosen = entries.find((d) => d.annotations?.[REF_NAME] === ref || d.annotations?.['io.containerd.image.name'] === ref || d.digest === ref);
    if (!chosen) throw new Error(`${dir} has no image named "${ref}" (it has: ${entries.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ')})`);
  } else if (entries.length === 1) {
    chosen = entries[0];
  } else {
    throw new Error(`${dir} holds ${entries.length} images: choose one with --ref (${entries.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ')})`);
  }
  const blobs = new Map<string, BlobSource>();
  const manifests: ManifestSource[] = [];
  const visit = (descriptor: Descriptor, platformLabel: string) => {
    const bytes = readFileSync(blobPath(dir, descriptor.digest));
    if (sha256(bytes) !== descriptor.digest) throw new Error(`${descriptor.digest} in ${dir} does not match its content`);
    const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    const mediaType = descriptor.mediaType ?? manifest.mediaType ?? (manifest.manifests ? MEDIA.ociIndex : MEDIA.ociManifest);
    if (manifest.manifests) {
      for (const child of manifest.manifests) {
        if (existsSync(blobPath(dir, child.digest))) visit(child, `${platformLabel}${(child as { platform?: { architecture?: string } }).platform?.architecture ?? child.digest.slice(7, 19)} `);
      }
    } else {
      const all = [manifest.config, ...(manifest.layers ?? [])].filter((d): d is Descriptor => d !== undefined);
      all.forEach((d, i) => {
        if (blobs.has(d.digest)) return;
        const path = blobPath(dir, d.digest);
        if (!existsSync(path)) throw new Error(`${dir} lacks blob ${d.digest}`);
        const label = i === 0 ? `${platformLabel}config` : `${platformLabel}layer ${i}/${all.length - 1}`;
        blobs.set(d.digest, fileBlob(path, d.digest, statSync(path).size, d.mediaType ?? 'application/octet-stream', label));
      });
    }
    manifests.push({ digest: descriptor.digest, mediaType, bytes });
  };
  visit(chosen!, '');
  return { blobs: [...blobs.values()], manifests, suggestedReference: chosen!.annotations?.['io.containerd.image.name'] ?? chosen!.annotations?.[REF_NAME], source: dir };
}
