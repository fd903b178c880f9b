import {
  buildArtifact,
  buildOciLayout,
  makeTempDir,
  readOciLayout,
  skopeo,
  skopeoCopy,
  skopeoDelete,
  skopeoInspect,
  skopeoListTags,
  TempDir,
} from '@silo/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, Platform } from './platform';
import { Credentials, RegistryClient } from './registry-client';

/** Real OCI clients against the registry `npm start` runs (credentials from admin-credentials.json). */
describe('registry: real clients (skopeo) against the real platform', () => {
  let home: TempDir;
  let work: TempDir;
  let platform: Platform;
  let host: string;
  let creds: string;
  let registry: RegistryClient;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-clients-');
    work = await makeTempDir('silo-e2e-images-');
    const ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    const admin = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    creds = `${admin.username}:${admin.password}`;
    host = `127.0.0.1:${ports.registry}`;
    registry = new RegistryClient(`http://${host}`, admin);
  });

  afterAll(async () => {
    await platform?.interrupt();
    await home?.cleanup();
    await work?.cleanup();
  });

  it('skopeo copy of a multi-layer OCI image in and out, byte for byte; inspect; list-tags; delete', async () => {
    const image = await buildOciLayout(join(work.path, 'app'), {
      tag: 'v1',
      layers: [
        { busybox: true },
        { files: { 'app/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 }, 'etc/old.conf': 'x' } },
        { files: { 'app/data': 'data' }, whiteouts: ['etc/old.conf'] },
        { randomBytes: 1 << 20 },
      ],
      config: { Entrypoint: ['/app/run.sh'], Env: ['A=1'] },
    });
    const pushed = await skopeoCopy(image.skopeoRef, `${host}/team/app:v1`, { destCreds: creds, preserveDigests: true });
    expect(pushed.digest).toBe(image.digest);

    const info = await skopeoInspect(`${host}/team/app:v1`, { creds });
    expect(info.Digest).toBe(image.digest);
    expect(info.Layers).toEqual(image.layers.map((l) => l.digest));
    expect(info.Env).toEqual(['A=1']);

    await skopeoCopy(`${host}/team/app:v1`, `oci:${join(work.path, 'back')}:v1`, { srcCreds: creds, preserveDigests: true });
    const back = await (await readOciLayout(join(work.path, 'back'))).image('v1');
    expect(back.digest).toBe(image.digest);
    const original = await readOciLayout(join(work.path, 'app'));
    const copied = await readOciLayout(join(work.path, 'back'));
    for (const layer of image.layers) expect((await copied.readBlob(layer.digest)).equals(await original.readBlob(layer.digest))).toBe(true);

    await skopeoCopy(image.skopeoRef, `${host}/team/app:v2`, { destCreds: creds });
    expect((await skopeoListTags(`${host}/team/app`, { creds })).sort()).toEqual(['v1', 'v2']);
    await skopeoDelete(`${host}/team/app:v2`, { creds });
    // skopeo deletes by digest: every tag of that manifest goes
    expect(await skopeoListTags(`${host}/team/app`, { creds })).toEqual([]);
  });

  it('a multi-platform index and its manifests survive the round trip', async () => {
    const image = await buildOciLayout(join(work.path, 'multi'), {
      tag: 'v1',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      layers: (p) => [{ busybox: true }, { files: { 'arch.txt': p.architecture } }],
    });
    await skopeoCopy(image.skopeoRef, `${host}/team/multi:v1`, { destCreds: creds, multiArch: 'all', preserveDigests: true });
    const raw = await skopeoInspect(`${host}/team/multi:v1`, { creds, raw: true });
    expect(raw.digest).toBe(image.indexDigest);
    const arm = await skopeoInspect(`${host}/team/multi:v1`, { creds, config: true, os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect((arm.json as { architecture: string }).architecture).toBe('arm64');
    await skopeoCopy(`${host}/team/multi:v1`, `oci:${join(work.path, 'multi-back')}:v1`, { srcCreds: creds, multiArch: 'all', preserveDigests: true });
    expect((await (await readOciLayout(join(work.path, 'multi-back'))).image('v1')).digest).toBe(image.indexDigest);
  });

  it('Docker schema 2 images and manifest lists keep their media types and digests', async () => {
    const image = await buildOciLayout(join(work.path, 'docker'), {
      tag: 'v1',
      mediaTypes: 'docker',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
      layers: [{ busybox: true }],
    });
    await skopeoCopy(image.skopeoRef, `${host}/team/docker:v1`, { destCreds: creds, multiArch: 'all', preserveDigests: true });
    const res = await registry.request('GET', '/v2/team/docker/manifests/v1', {
      headers: { accept: 'application/vnd.docker.distribution.manifest.list.v2+json' },
    });
    expect(res.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
  });

  it('an artifact with a subject shows up in the referrers API', async () => {
    const image = await buildOciLayout(join(work.path, 'subject'), { tag: 'v1', layers: [{ files: { a: 'a' } }] });
    await skopeoCopy(image.skopeoRef, `${host}/team/signed:v1`, { destCreds: creds, preserveDigests: true });
    const artifact = await buildArtifact(join(work.path, 'sig'), {
      artifactType: 'application/vnd.example.signature',
      blobs: [{ content: 'signature bytes' }],
      subject: image.descriptor,
    });
    await skopeoCopy(artifact.skopeoRef, `${host}/team/signed:sig`, { destCreds: creds, preserveDigests: true });
    const referrers = await registry.request('GET', `/v2/team/signed/referrers/${image.digest}`);
    expect(referrers.json<{ manifests: Array<{ digest: string; artifactType: string }> }>().manifests).toEqual([
      expect.objectContaining({ digest: artifact.digest, artifactType: 'application/vnd.example.signature' }),
    ]);
  });

  it('refuses skopeo without credentials, and with wrong ones', async () => {
    const image = await buildOciLayout(join(work.path, 'denied'), { tag: 'v1', layers: [{ files: { a: 'b' } }] });
    const anonymous = await skopeo(['copy', '--dest-tls-verify=false', image.skopeoRef, `docker://${host}/team/denied:v1`], { allowFailure: true });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|authentication required/i);
    const wrong = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'admin:wrong', image.skopeoRef, `docker://${host}/team/denied:v1`], {
      allowFailure: true,
    });
    expect(wrong.code).not.toBe(0);
  });
});
