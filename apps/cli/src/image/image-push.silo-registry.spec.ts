import { buildOciLayout, makeTempDir, SiloRegistryHandle, startSiloRegistry, TempDir } from '@silo/testing';
import { createHash } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { runCli } from '../testing/fake-api';
import { localPlatformEnv } from '../testing/local-platform';

jest.setTimeout(120_000);

/** Against Silo's real registry (dist/apps/registry and layer-store, started by libs/testing). */
describe('silo image push to a real Silo registry', () => {
  let registry: SiloRegistryHandle;
  let dir: TempDir;
  let env: Record<string, string>;

  beforeAll(async () => {
    registry = await startSiloRegistry();
    dir = await makeTempDir();
    env = localPlatformEnv(dir.path, 'http://127.0.0.1:1', registry.host);
    writeFileSync(join(env['SILO_HOME']!, 'admin-credentials.json'), JSON.stringify({ ...registry.credentials, apiUrl: 'http://127.0.0.1:1', registry: registry.host }));
  });
  afterAll(async () => {
    await registry?.stop();
    await dir?.cleanup();
  });

  const manifestOf = async (name: string, reference: string) => {
    const res = await fetch(`${registry.url}/v2/${name}/manifests/${reference}`, {
      headers: {
        authorization: `Basic ${Buffer.from(registry.creds).toString('base64')}`,
        accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    return { status: res.status, digest: res.headers.get('docker-content-digest'), body: await res.text() };
  };

  it('pushes an OCI layout; a second push uploads nothing', async () => {
    const built = await buildOciLayout(join(dir.path, 'layout'), { layers: [{ files: { 'a.txt': 'a' } }, { randomBytes: 300_000, seed: 'cli' }] });
    const first = await runCli(['image', 'push', join(dir.path, 'layout'), 'cli/app:v1'], env, dir.path);
    expect(first.stderr).not.toContain('silo:');
    expect(first.code).toBe(0);
    expect(await manifestOf('cli/app', 'v1')).toMatchObject({ status: 200, digest: built.digest });
    const again = await runCli(['image', 'push', join(dir.path, 'layout'), 'cli/app:v2', '-o', 'json'], env, dir.path);
    expect(JSON.parse(again.stdout)).toMatchObject({ pushed: 0, skipped: 3, digest: built.digest });
  });

  it('pushes a docker save tarball', async () => {
    const p = pack();
    const layer = await (async () => {
      const l = pack();
      l.entry({ name: 'hello.txt', mtime: new Date(0) }, 'hello');
      l.finalize();
      const chunks: Buffer[] = [];
      for await (const c of l) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    })();
    const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [diffId] } });
    p.entry({ name: 'cfg.json' }, config);
    p.entry({ name: 'l1/layer.tar' }, layer);
    p.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'cfg.json', RepoTags: ['cli/saved:1'], Layers: ['l1/layer.tar'] }]));
    p.finalize();
    const file = join(dir.path, 'saved.tar');
    await pipeline(p, createWriteStream(file));
    const io = await runCli(['image', 'push', file], env, dir.path);
    expect(io.stderr).not.toContain('silo:');
    expect(io.code).toBe(0);
    const stored = await manifestOf('cli/saved', '1');
    expect(stored.status).toBe(200);
    expect(JSON.parse(stored.body).layers).toEqual([{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: layer.length, digest: diffId }]);
  });
});
