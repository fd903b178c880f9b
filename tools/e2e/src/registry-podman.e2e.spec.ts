import { buildOciLayout, makeTempDir, skopeoCopy, skopeoInspect, TempDir } from '@silo/testing';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, Platform } from './platform';
import { Credentials } from './registry-client';

/** podman pulls and pushes with credentials, with a private storage root (nothing on the host). */
describe('registry: podman push and pull', () => {
  let home: TempDir;
  let work: TempDir;
  let platform: Platform;
  let host: string;
  let creds: string;

  const podman = (args: string[]) => {
    const base = join(work.path, 'podman');
    const result = spawnSync(
      'podman',
      [
        '--root',
        join(base, 'root'),
        '--runroot',
        join(base, 'run'),
        '--storage-driver',
        'vfs',
        '--cgroup-manager',
        'cgroupfs',
        '--events-backend',
        'none',
        ...args,
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          HOME: join(base, 'home'),
          XDG_RUNTIME_DIR: join(base, 'xdg'),
          REGISTRY_AUTH_FILE: join(base, 'auth.json'),
          CONTAINERS_REGISTRIES_CONF: join(base, 'registries.conf'),
        },
      },
    );
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-podman-');
    work = await makeTempDir('silo-e2e-podman-work-');
    for (const d of ['home', 'xdg']) mkdirSync(join(work.path, 'podman', d), { recursive: true, mode: 0o700 });
    writeFileSync(join(work.path, 'podman', 'registries.conf'), 'unqualified-search-registries = []\n');
    writeFileSync(join(work.path, 'podman', 'auth.json'), '{}', { mode: 0o600 });
    const ports = await freePorts();
    platform = new Platform(home.path, ports);
    await platform.start();
    const admin = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    creds = `${admin.username}:${admin.password}`;
    host = `127.0.0.1:${ports.registry}`;
  });

  afterAll(async () => {
    podman(['rmi', '--all', '--force']);
    await platform?.interrupt();
    await home?.cleanup();
    await work?.cleanup();
  });

  it('pulls with credentials, pushes a retagged copy, and the digests agree', async () => {
    const image = await buildOciLayout(join(work.path, 'img'), { tag: 'v1', layers: [{ busybox: true }, { files: { 'hello.txt': 'hi' } }] });
    await skopeoCopy(image.skopeoRef, `${host}/team/podman:v1`, { destCreds: creds, preserveDigests: true });

    const anonymous = podman(['pull', '--tls-verify=false', `${host}/team/podman:v1`]);
    expect(anonymous.code).not.toBe(0);
    const pulled = podman(['pull', '--tls-verify=false', '--creds', creds, `${host}/team/podman:v1`]);
    expect(pulled.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(pulled.code).toBe(0);
    const inspect = JSON.parse(podman(['image', 'inspect', `${host}/team/podman:v1`]).stdout) as Array<{ Digest: string }>;
    expect(inspect[0]!.Digest).toBe(image.digest);

    const pushed = podman(['push', '--tls-verify=false', '--creds', creds, `${host}/team/podman:v1`, `docker://${host}/team/podman-copy:v1`]);
    expect(pushed.stderr).not.toMatch(/error/i);
    expect(pushed.code).toBe(0);
    const info = await skopeoInspect(`${host}/team/podman-copy:v1`, { creds });
    expect(info.Layers).toHaveLength(2);
  });
});
