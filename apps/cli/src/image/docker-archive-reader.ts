import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { extract } from 'tar-stream';
import { BlobSource, fileBlob, ImageToPush, MEDIA, sha256 } from './image-source';
import { isOciLayout, readOciLayout } from './oci-layout-reader';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface FileInfo {
  digest: string;
  size: number;
}

/** Where a tar was unpacked, the digest of each file, and its symlinks (docker save links shared layers). */
export interface UnpackedTar {
  dir: string;
  files: Map<string, FileInfo>;
  links: Map<string, string>;
  cleanup(): void;
}

function safePath(name: string): string {
  const path = posix.normalize(name.replace(/^\.\/+/, ''));
  if (path.startsWith('../') || path === '..' || posix.isAbsolute(path)) throw new Error(`unsafe path in the archive: ${name}`);
  return path.replace(/\/+$/, '');
}

/** Unpacks a tar file into a temp directory, hashing every file as it streams by (tar-stream). */
export async function unpackTar(file: string): Promise<UnpackedTar> {
  const dir = mkdtempSync(join(tmpdir(), 'silo-push-'));
  const files = new Map<string, FileInfo>();
  const links = new Map<string, string>();
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const extractor = extract();
    extractor.on('entry', (header, stream, next) => {
      const run = async () => {
        const path = safePath(header.name);
        if (header.type === 'file' || header.type === 'contiguous-file') {
          const target = join(dir, normalize(path));
          mkdirSync(dirname(target), { recursive: true });
          const hash = createHash('sha256');
          let size = 0;
          const tap = new Transform({
            transform(chunk: Buffer, _enc, done) {
              hash.update(chunk);
              size += chunk.length;
              done(null, chunk);
            },
          });
          await pipeline(stream, tap, createWriteStream(target));
          files.set(path, { digest: `sha256:${hash.digest('hex')}`, size });
        } else {
          if (header.type === 'symlink' && header.linkname) links.set(path, safePath(posix.join(posix.dirname(path), header.linkname)));
          else if (header.type === 'link' && header.linkname) links.set(path, safePath(header.linkname));
          stream.resume();
          await new Promise<void>((resolve) => stream.on('end', () => resolve()));
        }
      };
      run().then(() => next(), (err: Error) => next(err));
    });
    await pipeline(createReadStream(file), extractor);
    return { dir, files, links, cleanup };
  } catch (err) {
    cleanup();
    throw new Error(`cannot read ${file} as a tar archive: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * A `docker save` tarball: `manifest.json` (Config, RepoTags, Layers) with the config JSON and one
 * tar per layer. It becomes a Docker schema 2 manifest. The layers are pushed exactly as saved — in
 * the classic format uncompressed (`…rootfs.diff.tar`, digest = diff id; the agents unpack those
 * too), gzip ones (`…tar.gzip`) as they are — so nothing is recompressed and digests stay stable.
 * A tarball holding an OCI layout without `manifest.json` (skopeo's oci-archive) is read as one.
 */
export async function readDockerArchive(file: string, ref?: string): Promise<ImageToPush & { cleanup(): void }> {
  const unpacked = await unpackTar(file);
  try {
    const manifestPath = join(unpacked.dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      if (isOciLayout(unpacked.dir)) return { ...readOciLayout(unpacked.dir, ref), source: file, cleanup: unpacked.cleanup };
      throw new Error(`${file} is neither a docker save tarball (no manifest.json) nor an OCI archive`);
    }
    const entries = JSON.parse(readFileSync(manifestPath, 'utf8')) as ArchiveEntry[];
    const entry = ref ? entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || t.endsWith(`/${ref}`))) : entries.length === 1 ? entries[0] : undefined;
    if (!entry) {
      const names = entries.map((e) => (e.RepoTags ?? []).join(',') || e.Config).join('; ');
      throw new Error(ref ? `${file} has no image tagged "${ref}" (it has: ${names})` : `${file} holds ${entries.length} images: choose one with --ref (${names})`);
    }
    const resolve = (path: string): { path: string; info: FileInfo } => {
      let current = safePath(path);
      for (let hops = 0; unpacked.links.has(current) && hops < 16; hops++) current = unpacked.links.get(current)!;
      const info = unpacked.files.get(current);
      if (!info) throw new Error(`${file} lacks ${path}`);
      return { path: join(unpacked.dir, normalize(current)), info };
    };
    const config = resolve(entry.Config);
    const configBytes = readFileSync(config.path);
    const configJson = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
    const diffIds = configJson.rootfs?.diff_ids ?? [];
    if (diffIds.length !== entry.Layers.length) throw new Error(`${file}: the config lists ${diffIds.length} layers, manifest.json ${entry.Layers.length}`);
    const blobs: BlobSource[] = [fileBlob(config.path, sha256(configBytes), configBytes.length, MEDIA.dockerConfig, 'config')];
    const layers = entry.Layers.map((layerPath, i) => {
      const layer = resolve(layerPath);
      const gzip = isGzip(layer.path);
      if (!gzip && layer.info.digest !== diffIds[i]) throw new Error(`${file}: layer ${layerPath} does not match the config's diff id ${diffIds[i]}`);
      const mediaType = gzip ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : MEDIA.dockerLayerTar;
      return { mediaType, size: layer.info.size, digest: layer.info.digest, path: layer.path };
    });
    const seen = new Set<string>();
    layers.forEach((l, i) => {
      if (seen.has(l.digest)) return;
      seen.add(l.digest);
      blobs.push(fileBlob(l.path, l.digest, l.size, l.mediaType, `layer ${i + 1}/${layers.length}`));
    });
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: configBytes.length, digest: sha256(configBytes) },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    return {
      blobs,
      manifests: [{ digest: sha256(bytes), mediaType: MEDIA.dockerManifest, bytes }],
      suggestedReference: entry.RepoTags?.[0] ?? undefined,
      source: file,
      cleanup: unpacked.cleanup,
    };
  } catch (err) {
    unpacked.cleanup();
    throw err;
  }
}
