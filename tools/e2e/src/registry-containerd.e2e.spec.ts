import { buildOciLayout, makeTempDir, skopeoCopy, TempDir } from '@silo/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerdHandle, startContainerd } from './containerd';
import { freePorts, Platform } from './platform';
import { Credentials } from './registry-client';

/** containerd pulls from the registry `npm start` runs (`ctr images pull --plain-http`). */
describe('registry: containerd (ctr) pulls', () => {
  let home: TempDir;
  let work: TempDir;
  let platform: Platform;
  let containerd: ContainerdHandle | undefined;
  let host: string;
  let creds: string;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-ctr-');
    // short path: unix socket paths are limited to 108 bytes
    work = await makeTempDir('sctr-');
    const ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    const admin = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    creds = `${admin.username}:${admin.password}`;
    host = `127.0.0.1:${ports.registry}`;
    containerd = await startContainerd(join(work.path, 'c'));
  });

  afterAll(async () => {
    await containerd?.stop();
    await platform?.interrupt();
    await home?.cleanup();
    await work?.cleanup();
  });

  it('ctr images pull --plain-http with credentials fetches and unpacks the image', async () => {
    const image = await buildOciLayout(join(work.path, 'img'), {
      tag: 'v1',
      platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }],
      layers: (p) => [{ busybox: true }, { files: { 'arch.txt': p.architecture } }],
    });
    await skopeoCopy(image.skopeoRef, `${host}/team/ctr:v1`, { destCreds: creds, multiArch: 'all', preserveDigests: true });
    const denied = containerd!.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'native', `${host}/team/ctr:v1`]);
    expect(denied.code).not.toBe(0);
    const pulled = containerd!.ctr(['images', 'pull', '--plain-http', '--snapshotter', 'native', '--user', creds, `${host}/team/ctr:v1`]);
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    const list = containerd!.ctr(['images', 'ls']);
    expect(list.stdout).toContain(`${host}/team/ctr:v1`);
    expect(list.stdout).toContain(image.digest);
    const check = containerd!.ctr(['images', 'check']);
    expect(check.stdout).toMatch(/complete/);
  });
});
