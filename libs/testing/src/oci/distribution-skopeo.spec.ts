import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { AddressInfo, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, TempDir } from '../temp-dir';
import { DistributionHandle, startDistribution } from './distribution-registry';
import { buildArtifact, buildOciLayout, BuiltImage } from './oci-image-builder';
import { readOciLayout } from './oci-layout';
import { MediaTypes, OciIndex, OciManifest } from './oci-types';
import { SkopeoError, skopeo, skopeoCopy, skopeoDelete, skopeoInspect, skopeoListTags } from './skopeo';

const MiB = 1024 * 1024;
const ALL_MANIFEST_TYPES = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList].join(', ');

/** Every blob the image's tag reaches in its layout equals the same blob in `otherDir`, byte for byte. */
async function expectSameBlobs(image: BuiltImage, otherDir: string, tag: string): Promise<void> {
  const original = await readOciLayout(image.dir);
  const copy = await readOciLayout(otherDir);
  await copy.verify();
  const a = await original.image(image.tag);
  const b = await copy.image(tag);
  expect(b.digest).toBe(a.digest);
  expect(b.raw.equals(a.raw)).toBe(true);
  expect([...b.blobDigests].sort()).toEqual([...a.blobDigests].sort());
  for (const digest of a.blobDigests) {
    expect((await copy.readBlob(digest)).equals(await original.readBlob(digest))).toBe(true);
  }
}

describe('OCI images through skopeo and CNCF Distribution', () => {
  let registry: DistributionHandle | undefined;
  let tmp: TempDir;
  let host: string;

  const getManifest = async (repo: string, reference: string, accept = ALL_MANIFEST_TYPES) => {
    const res = await fetch(`${registry!.url}/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept } });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const getBlob = async (repo: string, digest: string) => {
    const res = await fetch(`${registry!.url}/v2/${repo}/blobs/${digest}`);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    tmp = await makeTempDir('silo-oci-e2e-');
    registry = await startDistribution();
    host = registry.host;
  });
  afterAll(async () => {
    await registry?.stop();
    await tmp?.cleanup();
  });

  it('runs Distribution on a loopback port with its own storage, answering GET /v2/', async () => {
    expect(registry!.url).toBe(`http://127.0.0.1:${registry!.port}`);
    const res = await fetch(`${registry!.url}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(existsSync(registry!.root)).toBe(true);
  });

  it('pushes a multi-layer OCI image, inspects it and copies it back unchanged', async () => {
    const image = await buildOciLayout(join(tmp.path, 'multi'), {
      tag: 'v1',
      layers: [
        { busybox: true },
        { files: { 'app/config.json': '{"ok":true}\n', 'app/run.sh': { content: '#!/bin/sh\necho ok\n', mode: 0o755 } }, whiteouts: ['etc/group'] },
        { randomBytes: MiB },
      ],
      config: { Entrypoint: ['/app/run.sh'], Env: ['PATH=/bin', 'MODE=test'] },
    });
    const ref = `docker://${host}/silo/multi:v1`;
    const pushed = await skopeoCopy(image.skopeoRef, ref, { preserveDigests: true });
    expect(pushed.digest).toBe(image.digest);

    const info = await skopeoInspect(ref);
    expect(info.Digest).toBe(image.digest);
    expect(info.Layers).toEqual(image.layers.map((l) => l.digest));
    expect(info.Architecture).toBe(image.manifests[0]!.platform.architecture);
    expect(info.Os).toBe('linux');
    expect(info.Env).toEqual(['PATH=/bin', 'MODE=test']);

    const raw = await skopeoInspect(ref, { raw: true });
    expect(raw.digest).toBe(image.digest);
    expect(raw.json.mediaType).toBe(MediaTypes.ociManifest);
    const config = await skopeoInspect(ref, { config: true });
    expect(config.digest).toBe(image.configDigest);

    // The registry serves the same bytes.
    const served = await getManifest('silo/multi', 'v1');
    expect(served.status).toBe(200);
    expect(served.headers.get('docker-content-digest')).toBe(image.digest);
    expect(served.headers.get('content-type')).toBe(MediaTypes.ociManifest);
    const random = image.layers[2]!;
    const blob = await getBlob('silo/multi', random.digest);
    expect(blob.body.equals(await (await readOciLayout(image.dir)).readBlob(random.digest))).toBe(true);

    const back = join(tmp.path, 'multi-back');
    const pulled = await skopeoCopy(ref, `oci:${back}:copy`, { preserveDigests: true });
    expect(pulled.digest).toBe(image.digest);
    await expectSameBlobs(image, back, 'copy');
  }, 60_000);

  it('pushes an image index with two platforms and copies every platform back', async () => {
    const image = await buildOciLayout(join(tmp.path, 'index'), {
      tag: 'multiarch',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      layers: (p) => [{ busybox: true }, { files: { 'etc/platform': `${p.os}/${p.architecture}\n` } }],
    });
    const ref = `docker://${host}/silo/index:multiarch`;
    const pushed = await skopeoCopy(image.skopeoRef, ref, { preserveDigests: true });
    expect(pushed.digest).toBe(image.indexDigest);

    const raw = await skopeoInspect(ref, { raw: true });
    expect(raw.digest).toBe(image.indexDigest);
    expect(raw.json.mediaType).toBe(MediaTypes.ociIndex);
    expect((raw.json as unknown as OciIndex).manifests.map((d) => d.platform?.architecture)).toEqual(['amd64', 'arm64']);
    const arm = await skopeoInspect(ref, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(arm.Architecture).toBe('arm64');
    // skopeo 1.9 reports the digest of what the reference names (the index), not of the platform's manifest.
    expect(arm.Digest).toBe(image.indexDigest);
    expect(arm.Layers).toEqual(image.manifests[1]!.layers.map((l) => l.digest));
    const armConfig = await skopeoInspect(ref, { os: 'linux', architecture: 'arm64', variant: 'v8', config: true });
    expect(armConfig.digest).toBe(image.manifests[1]!.configDigest);
    expect(armConfig.json).toMatchObject({ architecture: 'arm64', variant: 'v8' });
    const amd = await skopeoInspect(ref, { os: 'linux', architecture: 'amd64' });
    expect(amd.Layers).toEqual(image.manifests[0]!.layers.map((l) => l.digest));

    // Each platform's manifest is in the registry by digest.
    for (const m of image.manifests) {
      const served = await getManifest('silo/index', m.digest);
      expect(served.status).toBe(200);
      expect(served.headers.get('docker-content-digest')).toBe(m.digest);
    }

    const back = join(tmp.path, 'index-back');
    const pulled = await skopeoCopy(ref, `oci:${back}:copy`, { preserveDigests: true });
    expect(pulled.digest).toBe(image.indexDigest);
    await expectSameBlobs(image, back, 'copy');
  }, 60_000);

  it('pushes Docker schema 2 images and manifest lists with their media types intact', async () => {
    const dir = join(tmp.path, 'docker');
    const single = await buildOciLayout(dir, { tag: 'single', mediaTypes: 'docker', layers: [{ busybox: true }, { randomBytes: 64 * 1024, seed: 'docker' }] });
    const list = await buildOciLayout(dir, {
      tag: 'list',
      mediaTypes: 'docker',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
      ],
    });

    const singleRef = `docker://${host}/silo/docker:single`;
    expect((await skopeoCopy(single.skopeoRef, singleRef, { preserveDigests: true })).digest).toBe(single.digest);
    const raw = await skopeoInspect(singleRef, { raw: true });
    expect(raw.digest).toBe(single.digest);
    expect(raw.json.mediaType).toBe(MediaTypes.dockerManifest);
    expect((raw.json as unknown as OciManifest).layers.map((l) => l.mediaType)).toEqual([MediaTypes.dockerLayerGzip, MediaTypes.dockerLayerGzip]);
    const info = await skopeoInspect(singleRef);
    expect(info.Layers).toEqual(single.layers.map((l) => l.digest));
    const served = await getManifest('silo/docker', 'single', MediaTypes.dockerManifest);
    expect(served.headers.get('content-type')).toBe(MediaTypes.dockerManifest);
    expect(served.body.equals(raw.raw)).toBe(true);

    const listRef = `docker://${host}/silo/docker:list`;
    expect((await skopeoCopy(list.skopeoRef, listRef, { preserveDigests: true })).digest).toBe(list.digest);
    const listRaw = await skopeoInspect(listRef, { raw: true });
    expect(listRaw.digest).toBe(list.digest);
    expect(listRaw.json.mediaType).toBe(MediaTypes.dockerManifestList);

    // skopeo's oci: destination only writes OCI manifests, so Docker images come back through dir:.
    const back = join(tmp.path, 'docker-back');
    await skopeoCopy(singleRef, `dir:${back}`, { preserveDigests: true });
    expect((await readFile(join(back, 'manifest.json'))).equals(await (await readOciLayout(dir)).readBlob(single.digest))).toBe(true);
    const original = await readOciLayout(dir);
    for (const digest of [single.configDigest, ...single.layers.map((l) => l.digest)]) {
      expect((await readFile(join(back, digest.slice('sha256:'.length)))).equals(await original.readBlob(digest))).toBe(true);
    }
  }, 60_000);

  it('lists tags and deletes an image', async () => {
    const dir = join(tmp.path, 'tags');
    const a = await buildOciLayout(dir, { tag: 'a', layers: [{ files: { a: 'a' } }] });
    const b = await buildOciLayout(dir, { tag: 'b', layers: [{ files: { b: 'b' } }] });
    await skopeoCopy(a.skopeoRef, `${host}/silo/tags:a`);
    await skopeoCopy(b.skopeoRef, `${host}/silo/tags:b`);
    await skopeoCopy(b.skopeoRef, `${host}/silo/tags:b-again`);
    expect((await skopeoListTags(`docker://${host}/silo/tags`)).sort()).toEqual(['a', 'b', 'b-again']);

    // Distribution deletes by digest: every tag of that manifest goes with it.
    await skopeoDelete(`docker://${host}/silo/tags:b`);
    expect((await skopeoListTags(`${host}/silo/tags`)).sort()).toEqual(['a']);
    expect((await getManifest('silo/tags', b.digest)).status).toBe(404);
    await expect(skopeoInspect(`docker://${host}/silo/tags:b`, { raw: true })).rejects.toThrow(/manifest unknown/i);
    expect((await getManifest('silo/tags', a.digest)).status).toBe(200);
  }, 60_000);

  it('pushes an artifact with a subject, which Distribution stores as it came', async () => {
    const dir = join(tmp.path, 'artifact');
    const image = await buildOciLayout(dir, { tag: 'app', layers: [{ files: { app: 'app' } }] });
    const sbom = await buildArtifact(dir, {
      tag: 'sbom',
      artifactType: 'application/vnd.example.sbom.v1+json',
      blobs: [{ content: '{"packages":["busybox"]}', mediaType: 'application/vnd.example.sbom.v1+json', title: 'sbom.json' }],
      subject: image.descriptor,
    });
    await skopeoCopy(image.skopeoRef, `${host}/silo/artifact:app`, { preserveDigests: true });
    const pushed = await skopeoCopy(sbom.skopeoRef, `${host}/silo/artifact:sbom`, { preserveDigests: true });
    expect(pushed.digest).toBe(sbom.digest);

    const served = await getManifest('silo/artifact', sbom.digest);
    expect(served.status).toBe(200);
    expect(served.headers.get('docker-content-digest')).toBe(sbom.digest);
    const manifest = JSON.parse(served.body.toString()) as OciManifest;
    expect(manifest.artifactType).toBe('application/vnd.example.sbom.v1+json');
    expect(manifest.subject).toEqual({ mediaType: MediaTypes.ociManifest, digest: image.digest, size: image.descriptor.size });
    expect(manifest.config.mediaType).toBe(MediaTypes.ociEmpty);
    expect((await getBlob('silo/artifact', manifest.config.digest)).body.toString()).toBe('{}');
    expect((await getBlob('silo/artifact', sbom.blobs[0]!.digest)).body.toString()).toBe('{"packages":["busybox"]}');
    // Distribution 2.8 predates the referrers API.
    const referrers = await fetch(`${registry!.url}/v2/silo/artifact/referrers/${image.digest}`);
    await referrers.arrayBuffer();
    expect(referrers.status).toBe(404);
  }, 60_000);

  it('kills skopeo when it outlives its timeout', async () => {
    // A "registry" that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const error = await skopeoInspect(`docker://127.0.0.1:${port}/silent:latest`, { raw: true, timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SkopeoError);
      expect((error as SkopeoError).message).toMatch(/killed after 1000 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops Distribution, removing its temp dir but keeping a storage root it was given', async () => {
    const root = join(tmp.path, 'kept-root');
    const other = await startDistribution({ root, logLevel: 'error' });
    const image = await buildOciLayout(join(tmp.path, 'kept'), { layers: [{ files: { k: 'k' } }] });
    await skopeoCopy(image.skopeoRef, `${other.host}/silo/kept:latest`);
    await other.stop();
    await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
    expect(existsSync(join(root, 'docker', 'registry', 'v2', 'repositories', 'silo', 'kept'))).toBe(true);
    // The same storage, served again, still has the image.
    const again = await startDistribution({ root });
    try {
      expect(await skopeoListTags(`${again.host}/silo/kept`)).toEqual(['latest']);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('keeps skopeo away from the user’s credentials and configuration, and reports its stderr', async () => {
    // A broken auth file and Docker config where the environment points: skopeo would fail reading them.
    const fake = await makeTempDir('silo-fake-home-');
    const saved = { ...process.env };
    try {
      await writeFile(join(fake.path, 'auth.json'), 'not json');
      await writeFile(join(fake.path, 'config.json'), 'not json');
      process.env['REGISTRY_AUTH_FILE'] = join(fake.path, 'auth.json');
      process.env['DOCKER_CONFIG'] = fake.path;
      process.env['HOME'] = fake.path;
      process.env['XDG_RUNTIME_DIR'] = fake.path;
      const image = await buildOciLayout(join(tmp.path, 'creds'), { layers: [{ files: { c: 'c' } }] });
      // Credentials pass as flags (Distribution here has no auth, so they are simply not asked for).
      await skopeoCopy(image.skopeoRef, `${host}/silo/creds:latest`, { creds: 'user:secret' });
      expect(await skopeoListTags(`${host}/silo/creds`, { creds: 'user:secret' })).toEqual(['latest']);
      expect(await readdir(fake.path)).toEqual(['auth.json', 'config.json']);
    } finally {
      process.env = saved;
      await fake.cleanup();
    }

    const error = await skopeoInspect(`docker://${host}/silo/missing:nope`, { raw: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SkopeoError);
    expect((error as SkopeoError).message).toMatch(/skopeo .*inspect.* failed \(1\): .*(manifest unknown|not found)/is);
    const result = await skopeo(['inspect', '--tls-verify=false', `docker://${host}/silo/missing:nope`], { allowFailure: true });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/manifest unknown|not found/i);
  }, 60_000);
});
