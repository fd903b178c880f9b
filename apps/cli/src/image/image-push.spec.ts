import { buildOciLayout, makeTempDir, TempDir } from '@silo/testing';
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { runCli } from '../testing/fake-api';
import { FakeRegistry, startFakeRegistry } from '../testing/fake-registry';
import { localPlatformEnv } from '../testing/local-platform';
import { readDockerArchive } from './docker-archive-reader';
import { MEDIA } from './image-source';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A layer tar holding one file. */
async function layerTar(name: string, content: string): Promise<Buffer> {
  const p = pack();
  p.entry({ name, mtime: new Date(0) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A `docker save` tarball in the classic layout: manifest.json, <id>.json, <dir>/layer.tar (the second layer a symlink to the first, as docker writes shared layers). */
async function dockerSave(file: string): Promise<{ layers: Buffer[]; config: Buffer }> {
  const layers = [await layerTar('hello.txt', 'hello'), await layerTar('world.txt', 'world')];
  const diffIds = layers.map(sha);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [...diffIds, diffIds[0]] } }));
  const configName = `${sha(config).slice(7)}.json`;
  const manifest = [{ Config: configName, RepoTags: ['team/hello:1.0'], Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar'] }];
  const p = pack();
  p.entry({ name: 'aaa/', type: 'directory' });
  p.entry({ name: 'aaa/layer.tar' }, layers[0]);
  p.entry({ name: 'bbb/layer.tar' }, layers[1]);
  p.entry({ name: 'ccc/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar' });
  p.entry({ name: configName }, config);
  p.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
  p.finalize();
  await pipeline(p, createWriteStream(file));
  return { layers, config };
}

describe('silo image push', () => {
  let dir: TempDir;
  let registry: FakeRegistry;

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await registry?.close();
    await dir.cleanup();
  });

  it('pushes an OCI layout (Basic auth), skips blobs the registry has on the second push', async () => {
    registry = await startFakeRegistry({ basic: 'admin:pw' });
    const built = await buildOciLayout(join(dir.path, 'layout'), { tag: 'v1', layers: [{ files: { 'a.txt': 'a' } }, { files: { 'b.txt': 'b' } }] });
    const env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.url.replace('http://', ''));
    const first = await runCli(['image', 'push', join(dir.path, 'layout'), 'team/app:v1'], env, dir.path);
    expect(first.stderr).toMatch(/config [a-f0-9]{12}: pushed/);
    expect(first.stderr).toMatch(/layer 1\/2 [a-f0-9]{12}: pushed/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Pushed ${registry.url.replace('http://', '')}/team/app:v1 (${built.digest}): 3 blobs uploaded, 0 already there`);
    expect(registry.manifests.get('team/app:v1')!.body.equals(Buffer.from(JSON.stringify(built.manifests[0]!.manifest)))).toBe(true);
    expect(registry.manifests.get('team/app:v1')!.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(registry.blobs.has(built.layers[0]!.digest)).toBe(true);

    const second = await runCli(['image', 'push', join(dir.path, 'layout'), 'team/app:v2', '-o', 'json'], env, dir.path);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ repository: 'team/app', tag: 'v2', digest: built.digest, pushed: 0, skipped: 3 });
    expect(registry.uploads()).toBe(3);
  });

  it('pushes an image index with its platform images, children first', async () => {
    registry = await startFakeRegistry();
    const built = await buildOciLayout(join(dir.path, 'multi'), {
      tag: 'latest',
      platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }],
      layers: (platform) => [{ files: { 'arch.txt': platform.architecture } }],
    });
    const env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.url);
    const io = await runCli(['image', 'push', join(dir.path, 'multi'), 'team/multi:1'], env, dir.path);
    expect(io.stderr).toContain('arm64 layer 1/1');
    expect(io.code).toBe(0);
    expect(registry.manifests.get('team/multi:1')!.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    for (const m of built.manifests) expect(registry.manifests.has(`team/multi@${m.digest}`)).toBe(true);
  });

  it('pushes a docker save tarball as a Docker schema 2 image with uncompressed layers, through the token flow', async () => {
    registry = await startFakeRegistry({ token: true });
    const file = join(dir.path, 'hello.tar');
    const saved = await dockerSave(file);
    const env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.url.replace('http://', ''));
    const io = await runCli(['image', 'push', file], env, dir.path);
    expect(io.stderr).not.toContain('silo:');
    expect(io.code).toBe(0);
    const stored = registry.manifests.get('team/hello:1.0')!;
    expect(stored.mediaType).toBe(MEDIA.dockerManifest);
    expect(JSON.parse(stored.body.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: saved.config.length, digest: sha(saved.config) },
      layers: [saved.layers[0], saved.layers[1], saved.layers[0]].map((l) => ({ mediaType: MEDIA.dockerLayerTar, size: l!.length, digest: sha(l!) })),
    });
    expect(registry.blobs.get(sha(saved.layers[1]!))!.equals(saved.layers[1]!)).toBe(true);
    expect(registry.uploads()).toBe(3);
    expect(registry.seen.some((s) => s.url.startsWith('/auth/token') && s.headers.authorization?.startsWith('Basic '))).toBe(true);
  });

  it('refuses a tarball whose layers do not match the config, and a source without a name', async () => {
    const file = join(dir.path, 'bad.tar');
    const p = pack();
    p.entry({ name: 'c.json' }, JSON.stringify({ rootfs: { diff_ids: [`sha256:${'0'.repeat(64)}`] } }));
    p.entry({ name: 'l.tar' }, await layerTar('x', 'y'));
    p.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'c.json', RepoTags: null, Layers: ['l.tar'] }]));
    p.finalize();
    await pipeline(p, createWriteStream(file));
    await expect(readDockerArchive(file)).rejects.toThrow("does not match the config's diff id");
    writeFileSync(join(dir.path, 'junk.tar'), 'not a tar at all, not a tar at all, not a tar at all');
    registry = await startFakeRegistry();
    const env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.url);
    const junk = await runCli(['image', 'push', join(dir.path, 'junk.tar'), 'a/b:c'], env, dir.path);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/silo: .*junk\.tar/);
    await buildOciLayout(join(dir.path, 'unnamed'), { tag: 'latest', layers: [{ files: { a: 'a' } }] });
    const unnamed = await runCli(['image', 'push', join(dir.path, 'unnamed')], env, dir.path);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain('only names the tag "latest": give NAME:TAG');
  });

  it('says when the registry refuses the credentials', async () => {
    registry = await startFakeRegistry({ basic: 'admin:other' });
    await buildOciLayout(join(dir.path, 'layout'), { layers: [{ files: { a: 'a' } }] });
    const env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.url);
    const io = await runCli(['image', 'push', join(dir.path, 'layout'), 'team/app:1'], env, dir.path);
    expect(io.code).toBe(1);
    expect(io.stderr).toContain('refused the credentials');
  });
});
