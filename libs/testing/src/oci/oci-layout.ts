import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { blobPath } from './oci-image-builder';
import { isIndexMediaType, OciDescriptor, OciImageConfig, OciIndex, OciManifest, OciPlatform, REF_NAME_ANNOTATION } from './oci-types';

/** One image manifest of a layout, with its config. */
export interface LayoutImageManifest {
  digest: string;
  mediaType: string;
  size: number;
  /** The platform the index gives it (undefined for a lone manifest). */
  platform?: OciPlatform;
  raw: Buffer;
  manifest: OciManifest;
  configRaw: Buffer;
  /** The parsed config blob (for an artifact: whatever JSON its config holds, e.g. `{}`). */
  config: OciImageConfig;
}

/** What a tag of a layout names: an index (with its manifests) or a single manifest. */
export interface LayoutImage {
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
  raw: Buffer;
  /** Set when the tag names an image index / manifest list. */
  index?: OciIndex;
  /** The image manifests: the index's (in its order), or just the one. */
  manifests: LayoutImageManifest[];
  /** Every blob digest the tag reaches (index, manifests, configs, layers), without duplicates. */
  blobDigests: string[];
}

export interface OciLayoutReader {
  dir: string;
  /** index.json. */
  index: OciIndex;
  /** Tags (`org.opencontainers.image.ref.name`) in index.json order. */
  tags: string[];
  /** The descriptor index.json lists for `tag` (default: the only entry). */
  descriptor(tag?: string): OciDescriptor;
  blobPath(digest: string): string;
  readBlob(digest: string): Promise<Buffer>;
  readJson<T>(digest: string): Promise<T>;
  /** Every blob in blobs/sha256, with its size. */
  listBlobs(): Promise<Array<{ digest: string; size: number }>>;
  /** Resolves a tag down to manifests and configs. */
  image(tag?: string): Promise<LayoutImage>;
  /** Re-hashes every blob; throws naming the first whose content does not match its name. */
  verify(): Promise<void>;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

/** Opens an OCI image layout directory (as built here, or as `skopeo copy … oci:DIR:TAG` writes it). */
export async function readOciLayout(dir: string): Promise<OciLayoutReader> {
  const layoutFile = JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: string };
  if (!layoutFile.imageLayoutVersion) throw new Error(`${dir}/oci-layout has no imageLayoutVersion`);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as OciIndex;
  const tags = index.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => !!t);

  const descriptor = (tag?: string): OciDescriptor => {
    if (tag === undefined) {
      if (index.manifests.length !== 1) throw new Error(`${dir} holds ${index.manifests.length} manifests: name a tag (${tags.join(', ')})`);
      return index.manifests[0] as OciDescriptor;
    }
    const found = index.manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
    if (!found) throw new Error(`tag "${tag}" is not in ${dir}/index.json (tags: ${tags.join(', ') || 'none'})`);
    return found;
  };
  const readBlob = async (digest: string) => {
    const data = await readFile(blobPath(dir, digest));
    const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (digest.startsWith('sha256:') && actual !== digest) throw new Error(`blob ${digest} in ${dir} has content ${actual}`);
    return data;
  };
  const readJson = async <T>(digest: string) => JSON.parse((await readBlob(digest)).toString('utf8')) as T;

  const readManifest = async (d: OciDescriptor): Promise<LayoutImageManifest> => {
    const raw = await readBlob(d.digest);
    const manifest = JSON.parse(raw.toString('utf8')) as OciManifest;
    const configRaw = await readBlob(manifest.config.digest);
    return {
      digest: d.digest,
      mediaType: manifest.mediaType ?? d.mediaType,
      size: raw.length,
      ...(d.platform ? { platform: d.platform } : {}),
      raw,
      manifest,
      configRaw,
      config: JSON.parse(configRaw.toString('utf8')) as OciImageConfig,
    };
  };

  const listBlobs = async () => {
    const out: Array<{ digest: string; size: number }> = [];
    for (const algorithm of await readdir(join(dir, 'blobs'))) {
      for (const name of await readdir(join(dir, 'blobs', algorithm))) {
        if (name.startsWith('.')) continue;
        out.push({ digest: `${algorithm}:${name}`, size: (await stat(join(dir, 'blobs', algorithm, name))).size });
      }
    }
    return out.sort((a, b) => a.digest.localeCompare(b.digest));
  };

  return {
    dir,
    index,
    tags,
    descriptor,
    blobPath: (digest) => blobPath(dir, digest),
    readBlob,
    readJson,
    listBlobs,
    async image(tag?: string) {
      const top = descriptor(tag);
      const raw = await readBlob(top.digest);
      const parsed = JSON.parse(raw.toString('utf8')) as OciIndex | OciManifest;
      const mediaType = parsed.mediaType ?? top.mediaType;
      let manifests: LayoutImageManifest[];
      let imageIndex: OciIndex | undefined;
      if (isIndexMediaType(mediaType) || 'manifests' in parsed) {
        imageIndex = parsed as OciIndex;
        manifests = [];
        for (const d of imageIndex.manifests) manifests.push(await readManifest(d));
      } else {
        manifests = [await readManifest(top)];
      }
      const digests = new Set<string>([top.digest]);
      for (const m of manifests) {
        digests.add(m.digest);
        digests.add(m.manifest.config.digest);
        for (const l of m.manifest.layers) digests.add(l.digest);
      }
      return {
        tag: tag ?? top.annotations?.[REF_NAME_ANNOTATION] ?? '',
        digest: top.digest,
        mediaType,
        size: raw.length,
        raw,
        ...(imageIndex ? { index: imageIndex } : {}),
        manifests,
        blobDigests: [...digests],
      };
    },
    async verify() {
      for (const { digest } of await listBlobs()) {
        if (!digest.startsWith('sha256:')) continue;
        const actual = await hashFile(blobPath(dir, digest));
        if (actual !== digest) throw new Error(`blob ${digest} in ${dir} has content ${actual}`);
      }
    },
  };
}

export interface LayerEntry {
  /** The name as stored in the tar (directories end in `/`). */
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime?: Date;
  linkname?: string;
  /** sha256 of a regular file's content. */
  sha256?: string;
  /** A regular file's content, when it is at most `contentLimit` bytes. */
  content?: Buffer;
}

export interface LayerContents {
  entries: LayerEntry[];
  /** sha256 of the uncompressed tar (what the config's diff_ids list). */
  diffId: string;
  uncompressedSize: number;
  compressed: boolean;
}

/**
 * Lists a layer blob (a file path or bytes; gzip or plain tar, detected by its magic) entry by
 * entry, streaming: content is hashed, and kept only for files up to `contentLimit` bytes.
 */
export async function readLayerEntries(source: string | Buffer, options: { contentLimit?: number } = {}): Promise<LayerContents> {
  const contentLimit = options.contentLimit ?? 64 * 1024;
  let magic: Buffer;
  if (Buffer.isBuffer(source)) magic = source.subarray(0, 2);
  else {
    const handle = await open(source, 'r');
    try {
      magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
  }
  const compressed = magic[0] === 0x1f && magic[1] === 0x8b;
  const diffHash = createHash('sha256');
  let uncompressedSize = 0;
  const entries: LayerEntry[] = [];
  const extract = tarExtract();
  extract.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      size += chunk.length;
      if (size <= contentLimit) chunks.push(chunk);
    });
    stream.on('end', () => {
      const isFile = header.type === 'file' || header.type === 'contiguous-file';
      entries.push({
        path: header.name,
        type: header.type ?? 'file',
        mode: header.mode ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        size: header.size ?? 0,
        ...(header.mtime ? { mtime: header.mtime } : {}),
        ...(header.linkname ? { linkname: header.linkname } : {}),
        ...(isFile ? { sha256: `sha256:${hash.digest('hex')}` } : {}),
        ...(isFile && size <= contentLimit ? { content: Buffer.concat(chunks) } : {}),
      });
      next();
    });
    stream.on('error', next);
  });
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : createReadStream(source);
  const tapper = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      diffHash.update(chunk);
      uncompressedSize += chunk.length;
      callback(null, chunk);
    },
  });
  if (compressed) await pipeline(input, createGunzip(), tapper, extract);
  else await pipeline(input, tapper, extract);
  return { entries, diffId: `sha256:${diffHash.digest('hex')}`, uncompressedSize, compressed };
}
