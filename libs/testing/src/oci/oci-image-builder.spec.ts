import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeTempDir, TempDir } from '../temp-dir';
import { blobPath, buildArtifact, buildOciLayout, DEFAULT_BUSYBOX, DEFAULT_CREATED, hostPlatform, normalizeLayerPath } from './oci-image-builder';
import { LayerEntry, readLayerEntries, readOciLayout } from './oci-layout';
import { EMPTY_JSON_DIGEST, MediaTypes, OciImageConfig, OciIndex, OciManifest } from './oci-types';

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const MiB = 1024 * 1024;

function byPath(entries: LayerEntry[]): Map<string, LayerEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

/** Every entry's parent directory comes before it. */
function expectParentsFirst(entries: LayerEntry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const path = e.path.replace(/\/$/, '');
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : undefined;
    if (parent) expect(seen.has(parent) ? parent : `missing parent of ${e.path}`).toBe(parent);
    seen.add(path);
  }
}

describe('OCI image builder', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('silo-oci-builder-');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('builds a multi-layer image whose layout, blobs, diffIDs and config agree', async () => {
    const dir = join(tmp.path, 'multi');
    const image = await buildOciLayout(dir, {
      tag: 'v1',
      layers: [
        { busybox: true },
        { files: { 'app/hello.txt': 'hello\n' }, whiteouts: ['etc/group'] },
        { randomBytes: MiB, seed: 'multi' },
      ],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['cat /app/hello.txt'], WorkingDir: '/app', User: '65534', ExposedPorts: ['8080/tcp'], Labels: { a: 'b' } },
      annotations: { 'org.opencontainers.image.title': 'multi' },
    });
    expect(image.tag).toBe('v1');
    expect(image.layoutRef).toBe(`oci:${dir}:v1`);
    expect(image.skopeoRef).toBe(image.layoutRef);
    expect(image.mediaType).toBe(MediaTypes.ociManifest);
    expect(image.digest).toBe(image.manifestDigest);
    expect(image.indexDigest).toBeUndefined();
    expect(image.layers).toHaveLength(3);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });

    const layout = await readOciLayout(dir);
    await layout.verify();
    expect(layout.tags).toEqual(['v1']);
    expect(layout.descriptor('v1')).toMatchObject({ mediaType: MediaTypes.ociManifest, digest: image.digest });
    const read = await layout.image('v1');
    expect(read.digest).toBe(image.digest);
    expect(read.manifests).toHaveLength(1);
    const [m] = read.manifests;
    expect(m!.manifest.annotations).toEqual({ 'org.opencontainers.image.title': 'multi' });
    expect(m!.manifest.config).toEqual({ mediaType: MediaTypes.ociConfig, digest: image.configDigest, size: m!.configRaw.length });
    expect(m!.manifest.layers.map((l) => l.mediaType)).toEqual(Array(3).fill(MediaTypes.ociLayerGzip));

    const config = m!.config;
    expect(config).toMatchObject({ architecture: hostPlatform().architecture, os: 'linux', created: DEFAULT_CREATED });
    expect(config.config).toEqual({
      User: '65534',
      ExposedPorts: { '8080/tcp': {} },
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['cat /app/hello.txt'],
      WorkingDir: '/app',
      Labels: { a: 'b' },
    });
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: image.layers.map((l) => l.diffId) });
    expect(config.history).toHaveLength(3);

    for (const layer of image.layers) {
      const path = blobPath(dir, layer.digest);
      expect((await stat(path)).size).toBe(layer.size);
      const contents = await readLayerEntries(path);
      expect(contents.compressed).toBe(true);
      expect(contents.diffId).toBe(layer.diffId);
      expect(contents.uncompressedSize).toBe(layer.uncompressedSize);
      expect(contents.uncompressedSize % 512).toBe(0);
    }
    const blobs = await layout.listBlobs();
    expect(blobs.map((b) => b.digest).sort()).toEqual([...read.blobDigests].sort());
    expect(image.totalSize).toBe(blobs.reduce((a, b) => a + b.size, 0));
  });

  it('writes a busybox layer: the static binary, applet symlinks, passwd/group, modes and owners', async () => {
    const dir = join(tmp.path, 'busybox');
    const image = await buildOciLayout(dir, {});
    expect(image.tag).toBe('latest');
    expect(image.manifests[0]!.config.config).toEqual({ Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
    const { entries } = await readLayerEntries(blobPath(dir, image.layers[0]!.digest));
    expectParentsFirst(entries);
    const files = byPath(entries);
    const binary = readFileSync(DEFAULT_BUSYBOX);
    expect(files.get('bin/')).toMatchObject({ type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    expect(files.get('bin/busybox')).toMatchObject({ type: 'file', mode: 0o755, uid: 0, gid: 0, size: statSync(DEFAULT_BUSYBOX).size, sha256: sha256(binary) });
    for (const applet of ['sh', 'ls', 'cat', 'echo', 'true', 'sleep', 'env', 'id']) {
      expect(files.get(`bin/${applet}`)).toMatchObject({ type: 'symlink', linkname: 'busybox' });
    }
    expect(files.get('etc/passwd')!.content!.toString()).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh\n/);
    expect(files.get('etc/group')!.content!.toString()).toMatch(/^root:x:0:\n/);
    expect(files.get('etc/passwd')!.mode).toBe(0o644);
    expect(files.get('tmp/')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(files.get('root/')).toMatchObject({ type: 'directory', mode: 0o700 });
    for (const e of entries) expect(e.mtime?.toISOString()).toBe(new Date(DEFAULT_CREATED).toISOString());
  });

  it('writes a files layer: modes, owners, links, implicit parents, whiteouts and opaque markers', async () => {
    const dir = join(tmp.path, 'files');
    const image = await buildOciLayout(dir, {
      layers: [
        {
          files: {
            '/app/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o4755, uid: 1000, gid: 1001 },
            'app/data/': { mode: 0o700, uid: 1000, gid: 1000 },
            'app/link': { type: 'symlink', linkname: 'run.sh' },
            'app/hard': { type: 'link', linkname: '/app/run.sh' },
            'etc/motd': Buffer.from('hello'),
          },
          whiteouts: ['etc/issue', '/old.txt'],
          opaqueDirs: ['var/cache'],
        },
      ],
    });
    const contents = await readLayerEntries(blobPath(dir, image.layers[0]!.digest));
    expect(contents.diffId).toBe(image.layers[0]!.diffId);
    expect(contents.entries.map((e) => e.path)).toEqual([
      '.wh.old.txt',
      'app/',
      'app/data/',
      'app/hard',
      'app/link',
      'app/run.sh',
      'etc/',
      'etc/.wh.issue',
      'etc/motd',
      'var/',
      'var/cache/',
      'var/cache/.wh..wh..opq',
    ]);
    const files = byPath(contents.entries);
    expect(files.get('app/')).toMatchObject({ type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    expect(files.get('app/data/')).toMatchObject({ type: 'directory', mode: 0o700, uid: 1000, gid: 1000 });
    expect(files.get('app/run.sh')).toMatchObject({ type: 'file', mode: 0o4755, uid: 1000, gid: 1001, size: 18 });
    expect(files.get('app/run.sh')!.content!.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(files.get('app/link')).toMatchObject({ type: 'symlink', linkname: 'run.sh' });
    expect(files.get('app/hard')).toMatchObject({ type: 'link', linkname: 'app/run.sh' });
    expect(files.get('etc/motd')).toMatchObject({ type: 'file', mode: 0o644, size: 5, sha256: sha256('hello') });
    for (const marker of ['.wh.old.txt', 'etc/.wh.issue', 'var/cache/.wh..wh..opq']) {
      expect(files.get(marker)).toMatchObject({ type: 'file', size: 0 });
    }
    // No busybox layer: no default Cmd.
    expect(image.manifests[0]!.config.config!.Cmd).toBeUndefined();
  });

  it('rejects paths that escape the layer or conflict', async () => {
    expect(() => normalizeLayerPath('../etc/passwd')).toThrow(/\.\./);
    expect(() => normalizeLayerPath('/')).toThrow(/invalid/);
    expect(normalizeLayerPath('/./a//b/')).toBe('a/b');
    await expect(buildOciLayout(join(tmp.path, 'bad'), { layers: [{ files: { a: 'x', 'a/b': 'y' } }] })).rejects.toThrow(/both a file and a parent/);
    await expect(buildOciLayout(join(tmp.path, 'bad'), { layers: [{ files: { a: { type: 'symlink' } } }] })).rejects.toThrow(/needs a linkname/);
  });

  it('is reproducible, keeps other tags of a layout, and seeds random layers', async () => {
    const options = { layers: [{ busybox: true as const }, { randomBytes: 100_000, seed: 's' }, { files: { x: 'y' } }] };
    const a = await buildOciLayout(join(tmp.path, 'repro-a'), options);
    const b = await buildOciLayout(join(tmp.path, 'repro-b'), options);
    expect(b.digest).toBe(a.digest);
    expect(b.layers).toEqual(a.layers);

    const fresh1 = await buildOciLayout(join(tmp.path, 'repro-a'), { tag: 'fresh1', layers: [{ randomBytes: 100_000 }] });
    const fresh2 = await buildOciLayout(join(tmp.path, 'repro-a'), { tag: 'fresh2', layers: [{ randomBytes: 100_000 }] });
    expect(fresh2.layers[0]!.digest).not.toBe(fresh1.layers[0]!.digest);
    const layout = await readOciLayout(join(tmp.path, 'repro-a'));
    expect(layout.tags).toEqual(['latest', 'fresh1', 'fresh2']);
    await layout.verify();
    // Re-tagging replaces the entry rather than adding one.
    await buildOciLayout(join(tmp.path, 'repro-a'), { tag: 'fresh1', layers: [{ files: { z: 'z' } }] });
    expect((await readOciLayout(join(tmp.path, 'repro-a'))).tags).toEqual(['latest', 'fresh2', 'fresh1']);

    const { entries } = await readLayerEntries(blobPath(fresh1.dir, fresh1.layers[0]!.digest), { contentLimit: 0 });
    expect(entries).toEqual([expect.objectContaining({ path: 'random.bin', size: 100_000 })]);
    expect(entries[0]!.content).toBeUndefined();

    const plain = await buildOciLayout(join(tmp.path, 'plain'), { layers: [{ files: { x: 'y' }, compression: 'none' }] });
    expect(plain.layers[0]).toMatchObject({ mediaType: MediaTypes.ociLayer, digest: plain.layers[0]!.diffId });
    expect((await readLayerEntries(blobPath(plain.dir, plain.layers[0]!.digest))).compressed).toBe(false);
  });

  it('streams a large random layer without holding it in memory', async () => {
    const size = 64 * MiB;
    // Live buffer memory, sampled right after a full GC, so that garbage not yet collected does not count.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    let peak = 0;
    let samples = 0;
    const base = process.memoryUsage().arrayBuffers;
    const timer = setInterval(() => {
      gc();
      samples++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }, 100);
    try {
      const image = await buildOciLayout(join(tmp.path, 'large'), { layers: [{ randomBytes: size, path: 'data/blob.bin' }] });
      const layer = image.layers[0]!;
      expect(layer.uncompressedSize).toBeGreaterThan(size);
      expect(layer.size).toBeGreaterThan(size);
      expect((await stat(blobPath(image.dir, layer.digest))).size).toBe(layer.size);
    } finally {
      clearInterval(timer);
    }
    // Holding the layer would take at least `size`; streaming keeps a few MiB live.
    expect(samples).toBeGreaterThan(3);
    expect(peak).toBeLessThan(size / 4);
  });

  it('builds an image index with one manifest per platform', async () => {
    const dir = join(tmp.path, 'index');
    const platforms = [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ];
    const image = await buildOciLayout(dir, { tag: 'multi', platforms, layers: [{ busybox: true }, { files: { a: 'b' } }], annotations: { x: 'y' } });
    expect(image.mediaType).toBe(MediaTypes.ociIndex);
    expect(image.indexDigest).toBe(image.digest);
    expect(image.manifestDigest).toBe(image.manifests[0]!.digest);
    expect(image.manifests.map((m) => m.config.architecture)).toEqual(['amd64', 'arm64']);
    expect(image.manifests[1]!.config.variant).toBe('v8');
    // An array of layers is shared by the platforms.
    expect(image.manifests[1]!.layers).toEqual(image.manifests[0]!.layers);
    const layout = await readOciLayout(dir);
    const read = await layout.image('multi');
    expect(read.index).toEqual(image.index);
    expect(read.index!.annotations).toEqual({ x: 'y' });
    expect(read.index!.manifests.map((d) => d.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
    ]);
    expect(read.manifests.map((m) => m.digest)).toEqual(image.manifests.map((m) => m.digest));
    const blobs = await layout.listBlobs();
    expect(image.totalSize).toBe(blobs.reduce((a, b) => a + b.size, 0));

    // A function gives each platform its own layers.
    const own = await buildOciLayout(join(tmp.path, 'index-own'), {
      platforms,
      layers: (p) => [{ files: { 'etc/arch': p.architecture } }],
    });
    expect(own.manifests[0]!.layers[0]!.digest).not.toBe(own.manifests[1]!.layers[0]!.digest);
    const one = await buildOciLayout(join(tmp.path, 'index-one'), { platforms: [{ os: 'linux', architecture: 'amd64' }] });
    expect(one.mediaType).toBe(MediaTypes.ociIndex);
  });

  it('uses Docker schema 2 media types when asked', async () => {
    const dir = join(tmp.path, 'docker');
    const single = await buildOciLayout(dir, { tag: 'single', mediaTypes: 'docker', annotations: { ignored: 'yes' } });
    const layout = await readOciLayout(dir);
    const manifest = JSON.parse((await layout.readBlob(single.digest)).toString()) as OciManifest;
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, digest: single.configDigest, size: expect.any(Number) },
      layers: [{ mediaType: MediaTypes.dockerLayerGzip, digest: single.layers[0]!.digest, size: single.layers[0]!.size }],
    });
    expect(layout.descriptor('single').mediaType).toBe(MediaTypes.dockerManifest);
    // skopeo reads Docker images from a dir: view of the same blobs.
    expect(single.skopeoRef).toBe(`dir:${dir}/.skopeo-dir/single`);
    const view = join(dir, '.skopeo-dir', 'single');
    expect((await readFile(join(view, 'manifest.json'))).equals(await layout.readBlob(single.digest))).toBe(true);
    expect((await readdir(view)).sort()).toEqual(['manifest.json', 'version', ...[single.configDigest, single.layers[0]!.digest].map((d) => d.slice(7))].sort());
    const list = await buildOciLayout(dir, {
      tag: 'list',
      mediaTypes: 'docker',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
      ],
    });
    const index = await (await readOciLayout(dir)).readJson<OciIndex>(list.digest);
    expect(index.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(index.manifests.map((d) => d.mediaType)).toEqual([MediaTypes.dockerManifest, MediaTypes.dockerManifest]);
    const listView = join(dir, '.skopeo-dir', 'list');
    expect((await readFile(join(listView, 'manifest.json'))).equals(await layout.readBlob(list.digest))).toBe(true);
    for (const m of list.manifests) expect(existsSync(join(listView, `${m.digest.slice(7)}.manifest.json`))).toBe(true);
    const armConfig = await (await readOciLayout(dir)).readJson<OciImageConfig>(list.manifests[1]!.configDigest);
    expect(armConfig).toMatchObject({ architecture: 'arm', variant: 'v7' });
  });

  it('builds an OCI artifact with the empty config and a subject', async () => {
    const dir = join(tmp.path, 'artifact');
    const image = await buildOciLayout(dir, { tag: 'app' });
    const bare = await buildArtifact(dir, { tag: 'bare', artifactType: 'application/vnd.example.signature.v1' });
    expect(bare.manifest.layers).toEqual([{ mediaType: MediaTypes.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 }]);
    const sbom = await buildArtifact(dir, {
      tag: 'sbom',
      artifactType: 'application/vnd.example.sbom.v1+json',
      blobs: [{ content: '{"packages":[]}', mediaType: 'application/vnd.example.sbom.v1+json', title: 'sbom.json' }],
      subject: image.descriptor,
      annotations: { 'org.opencontainers.image.created': DEFAULT_CREATED },
    });
    const layout = await readOciLayout(dir);
    await layout.verify();
    expect(layout.tags).toEqual(['app', 'bare', 'sbom']);
    expect(layout.descriptor('sbom')).toMatchObject({ artifactType: 'application/vnd.example.sbom.v1+json', digest: sbom.digest });
    expect((await layout.readBlob(EMPTY_JSON_DIGEST)).toString()).toBe('{}');
    const manifest = await layout.readJson<OciManifest>(sbom.digest);
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: 'application/vnd.example.sbom.v1+json',
      config: { mediaType: MediaTypes.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.example.sbom.v1+json',
          digest: sha256('{"packages":[]}'),
          size: 15,
          annotations: { 'org.opencontainers.image.title': 'sbom.json' },
        },
      ],
      subject: { mediaType: MediaTypes.ociManifest, digest: image.digest, size: image.descriptor.size },
      annotations: { 'org.opencontainers.image.created': DEFAULT_CREATED },
    });
    expect(sbom.totalSize).toBe(2 + 15 + sbom.size);
  });
});
