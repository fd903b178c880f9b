import { buildOciLayout, BuiltImage, hostPlatform as builderHostPlatform, makeTempDir, skopeoCopy, startSiloRegistry, SiloRegistryHandle, TempDir } from '@silo/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chainIds, digestHex } from '../snapshots/chain-id';
import { parseMountInfo } from '../snapshots/mounter';
import { BadImageReference, ImageDigestMismatch, ImageNotFound, ImagePullError, NoMatchingPlatform, RegistryUnauthorized, RegistryUnreachable } from './errors/image-errors';
import { HttpTransport } from './http-transport';
import { createImageComponents, ImageComponents, ImageComponentsConfig } from './image-components';
import { PullProgress } from './image-puller';
import { AgentRootfs, toImageInfo } from './agent-image-adapters';

/** silo-runtime with idmap-mount (the workspace build's, or SILO_TEST_RUNTIME), else undefined. */
function idmapRuntime(): string | undefined {
  const candidate = process.env['SILO_TEST_RUNTIME'] ?? join(__dirname, '../../../../dist/native/silo-runtime');
  if (!existsSync(candidate)) return undefined;
  const probe = spawnSync(candidate, ['idmap-mount'], { encoding: 'utf8' });
  return /usage: idmap-mount/.test(`${probe.stdout}${probe.stderr}`) ? candidate : undefined;
}
const runtime = idmapRuntime();

/** Counts (and can refuse) every request the agent sends. */
class CountingTransport extends HttpTransport {
  readonly urls: string[] = [];
  override fetch(url: string, init?: RequestInit): Promise<Response> {
    this.urls.push(url);
    return super.fetch(url, init);
  }
}

function mountsUnder(path: string): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === path || p.startsWith(`${path}/`));
}

async function expectPullError<T extends ImagePullError>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as T;
}

describe('image puller and overlay snapshotter (real registry, real overlay mounts)', () => {
  jest.setTimeout(120_000);
  let registry: SiloRegistryHandle;
  let work: TempDir;
  let http: CountingTransport;
  let agent: ImageComponents;
  let config: ImageComponentsConfig;
  let app: BuiltImage;
  let multi: BuiltImage;
  let docker: BuiltImage;
  let appRef: string;

  beforeAll(async () => {
    registry = await startSiloRegistry();
    work = await makeTempDir('silo-agent-images-');
    const layouts = join(work.path, 'layouts');
    app = await buildOciLayout(join(layouts, 'app'), {
      tag: 'v1',
      layers: [
        { busybox: true },
        {
          files: {
            'etc/app.conf': 'answer=42\n',
            'data/keep': 'keep',
            'data/drop': 'drop',
            'opt/old/x': 'old',
            'usr/bin/su-tool': { content: 'suid', mode: 0o4755 },
            'home/app/': { type: 'directory', uid: 1000, gid: 1000, mode: 0o750 },
            'home/app/notes': { content: 'mine', uid: 1000, gid: 1000, mode: 0o600 },
            'home/app/notes-link': { type: 'link', linkname: 'home/app/notes' },
          },
        },
        // uncompressed, with a whiteout and an opaque directory
        { compression: 'none', files: { 'opt/old/y': 'new', 'etc/app.conf': 'answer=43\n' }, whiteouts: ['data/drop'], opaqueDirs: ['opt/old'] },
      ],
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], Env: ['PATH=/bin', 'MODE=test'], WorkingDir: '/home/app', User: '1000:1000', ExposedPorts: ['8080/tcp', '53/udp'] },
    });
    appRef = `${registry.host}/team/app:v1`;
    await skopeoCopy(app.skopeoRef, appRef, { destCreds: registry.creds, preserveDigests: true });
    const other = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    multi = await buildOciLayout(join(layouts, 'multi'), {
      tag: 'v1',
      platforms: [other, builderHostPlatform()],
      layers: (p) => [{ files: { 'etc/arch': `${p.architecture}\n` } }],
    });
    await skopeoCopy(multi.skopeoRef, `${registry.host}/team/multi:v1`, { destCreds: registry.creds, preserveDigests: true });
    docker = await buildOciLayout(join(layouts, 'docker'), { tag: 'v1', mediaTypes: 'docker', layers: [{ files: { 'hello.txt': 'docker\n' } }] });
    await skopeoCopy(docker.skopeoRef, `${registry.host}/team/docker:v1`, { destCreds: registry.creds, preserveDigests: true });
    http = new CountingTransport();
    config = { agentHome: join(work.path, 'agent'), defaultRegistryUrl: registry.url, defaultCredentials: registry.credentials };
    agent = createImageComponents(config, { http });
    await agent.init();
  });

  afterAll(async () => {
    if (work) {
      for (const mount of mountsUnder(work.path).reverse()) execFileSync('umount', ['-l', mount]);
    }
    await registry?.stop();
    await work?.cleanup();
  });

  it('pulls a multi-layer image with the token flow: digests verified, config applied, progress reported, one snapshot per chainID', async () => {
    const events: PullProgress[] = [];
    const result = await agent.puller.pull(appRef, { onProgress: (e) => events.push(e) });
    expect(result.cached).toBe(false);
    const image = result.image;
    expect(image.manifestDigest).toBe(app.manifestDigest);
    expect(image.configDigest).toBe(app.configDigest);
    expect(image.layers.map((l) => l.digest)).toEqual(app.layers.map((l) => l.digest));
    expect(image.layers.map((l) => l.diffId)).toEqual(app.layers.map((l) => l.diffId));
    expect(image.layers.map((l) => l.chainId)).toEqual(chainIds(app.layers.map((l) => l.diffId)));
    expect(image.config).toMatchObject({
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo hi'],
      env: ['PATH=/bin', 'MODE=test'],
      workingDir: '/home/app',
      user: '1000:1000',
      exposedPorts: ['53/udp', '8080/tcp'],
      diffIds: app.layers.map((l) => l.diffId),
    });
    expect(image.references).toEqual([`${registry.host}/team/app:v1`, `${registry.host}/team/app@${app.manifestDigest}`].sort());
    for (const layer of image.layers) {
      const phases = events.filter((e) => e.layer === layer.digest).map((e) => e.phase);
      expect(phases[0]).toBe('downloading');
      expect(phases).toContain('unpacking');
      expect(phases[phases.length - 1]).toBe('done');
      expect(events.find((e) => e.layer === layer.digest && e.phase === 'done')).toMatchObject({ reference: appRef, bytes: layer.size, total: layer.size });
      expect(existsSync(join(config.agentHome, 'snapshots', digestHex(layer.chainId), 'fs'))).toBe(true);
    }
    // the token flow: a 401, one token, then bearer requests; blobs fetched once
    expect(http.urls.filter((u) => u.includes('/auth/token'))).toHaveLength(1);
    // downloaded blobs are dropped once unpacked; nothing partial is left
    expect(readdirSync(join(config.agentHome, 'images', 'blobs', 'sha256'))).toEqual([]);
    expect(readdirSync(join(config.agentHome, 'images', 'blobs')).filter((n) => n.startsWith('.partial'))).toEqual([]);
    // the unpacked base layer: owners, setuid, hard links as the tar says
    const layer2 = join(config.agentHome, 'snapshots', digestHex(image.layers[1]!.chainId), 'fs');
    expect(statSync(join(layer2, 'usr/bin/su-tool')).mode & 0o7777).toBe(0o4755);
    expect([statSync(join(layer2, 'home/app')).uid, statSync(join(layer2, 'home/app')).mode & 0o777]).toEqual([1000, 0o750]);
    expect(statSync(join(layer2, 'home/app/notes-link')).ino).toBe(statSync(join(layer2, 'home/app/notes')).ino);
  });

  it('resolves a cached reference with no registry request (if-not-present); always asks but downloads no layer again', async () => {
    const before = http.urls.length;
    const again = await agent.puller.pull(appRef);
    expect(again.cached).toBe(true);
    expect(again.image.manifestDigest).toBe(app.manifestDigest);
    const byDigest = await agent.puller.pull(`${registry.host}/team/app@${app.manifestDigest}`);
    expect(byDigest.cached).toBe(true);
    // a reference without a host goes to the default registry: the same image
    expect((await agent.puller.pull('team/app:v1')).cached).toBe(true);
    expect(http.urls.length).toBe(before);
    const always = await agent.puller.pull(appRef, { policy: 'always' });
    expect(always.cached).toBe(false);
    const asked = http.urls.slice(before);
    expect(asked.filter((u) => u.includes('/manifests/'))).toHaveLength(1);
    expect(asked.filter((u) => u.includes('/blobs/'))).toEqual([`${registry.url}/v2/team/app/blobs/${app.configDigest}`]);
  });

  it('mounts each container root as an overlay: merged, whiteouts applied, lower files shared, writes in its own upper dir', async () => {
    const image = (await agent.store.get(app.manifestDigest))!;
    const rootA = join(work.path, 'c-a', 'rootfs');
    const rootB = join(work.path, 'c-b', 'rootfs');
    const a = await agent.snapshotter.prepare('c-a', image, rootA);
    await agent.snapshotter.prepare('c-b', image, rootB);
    expect(mountsUnder(work.path)).toEqual(expect.arrayContaining([rootA, rootB]));
    // idempotent
    expect(await agent.snapshotter.prepare('c-a', image, rootA)).toEqual(a);
    expect(mountsUnder(rootA)).toEqual([rootA]);
    // the merged tree: top layer wins, whiteout hides, opaque dir hides the lower content
    expect(readFileSync(join(rootA, 'etc/app.conf'), 'utf8')).toBe('answer=43\n');
    expect(existsSync(join(rootA, 'data/keep'))).toBe(true);
    expect(existsSync(join(rootA, 'data/drop'))).toBe(false);
    expect(readdirSync(join(rootA, 'opt/old'))).toEqual(['y']);
    expect(lstatSync(join(rootA, 'bin/sh')).isSymbolicLink()).toBe(true);
    expect(execFileSync(join(rootA, 'bin/busybox'), ['echo', 'from the image']).toString()).toBe('from the image\n');
    // shared lower files: the same inode through both roots, the snapshot's own
    const lower = join(config.agentHome, 'snapshots', digestHex(image.layers[0]!.chainId), 'fs', 'bin/busybox');
    expect(statSync(join(rootA, 'bin/busybox')).ino).toBe(statSync(lower).ino);
    expect(statSync(join(rootB, 'bin/busybox')).ino).toBe(statSync(lower).ino);
    // writes and deletes land in the container's upper dir only
    writeFileSync(join(rootA, 'etc/written'), 'by a');
    writeFileSync(join(rootA, 'etc/app.conf'), 'changed');
    unlinkSync(join(rootA, 'data/keep'));
    const upperA = join(config.agentHome, 'containers', 'c-a', 'upper');
    expect(readFileSync(join(upperA, 'etc/written'), 'utf8')).toBe('by a');
    expect(readFileSync(join(upperA, 'etc/app.conf'), 'utf8')).toBe('changed');
    expect(lstatSync(join(upperA, 'data/keep')).isCharacterDevice()).toBe(true);
    expect(existsSync(join(rootB, 'etc/written'))).toBe(false);
    expect(readFileSync(join(rootB, 'etc/app.conf'), 'utf8')).toBe('answer=43\n');
    expect(existsSync(join(rootB, 'data/keep'))).toBe(true);
    const top = join(config.agentHome, 'snapshots', digestHex(image.layers[2]!.chainId), 'fs');
    expect(readFileSync(join(top, 'etc/app.conf'), 'utf8')).toBe('answer=43\n');
  });

  (runtime ? it : it.skip)('hardened: id-mapped lower dirs show image files owned by the mapped range; upper owned by the mapped root', async () => {
    const image = (await agent.store.get(app.manifestDigest))!;
    const rootfs = new AgentRootfs(agent.snapshotter, agent.store, config.agentHome, runtime!);
    const target = join(work.path, 'c-hard', 'rootfs');
    await rootfs.prepare('c-hard', toImageInfo(image, appRef), target, { idmap: { hostId: 300_000, size: 65_536 } });
    try {
      expect(statSync(join(target, 'bin/busybox')).uid).toBe(300_000);
      expect(statSync(join(target, 'home/app/notes')).uid).toBe(301_000);
      expect(statSync(join(target, 'home/app')).gid).toBe(301_000);
      expect(statSync(rootfs.upperDir('c-hard')).uid).toBe(300_000);
      // the shared snapshot itself is unchanged
      const lower = join(config.agentHome, 'snapshots', digestHex(image.layers[1]!.chainId), 'fs', 'home/app/notes');
      expect(statSync(lower).uid).toBe(1000);
      expect(mountsUnder(join(config.agentHome, 'containers', 'c-hard', 'lower'))).toHaveLength(3);
    } finally {
      await rootfs.remove('c-hard');
    }
    expect(mountsUnder(join(work.path, 'c-hard'))).toEqual([]);
    expect(mountsUnder(join(config.agentHome, 'containers', 'c-hard'))).toEqual([]);
    expect(existsSync(join(config.agentHome, 'containers', 'c-hard'))).toBe(false);
  });

  it('concurrent pulls of one image, and of another sharing its base layer, fetch and unpack each layer once', async () => {
    const built = await buildOciLayout(join(work.path, 'layouts', 'app2'), { tag: 'v1', layers: [{ busybox: true }, { files: { 'etc/two': '2' } }] });
    expect(built.layers[0]!.digest).toBe(app.layers[0]!.digest);
    await skopeoCopy(built.skopeoRef, `${registry.host}/team/app2:v1`, { destCreds: registry.creds, preserveDigests: true });
    const counting = new CountingTransport();
    const fresh = createImageComponents({ ...config, agentHome: join(work.path, 'concurrent-agent') }, { http: counting });
    await fresh.init();
    const [a, b, c] = await Promise.all([fresh.puller.pull(appRef), fresh.puller.pull(appRef), fresh.puller.pull(`${registry.host}/team/app2:v1`)]);
    expect(a.image.manifestDigest).toBe(app.manifestDigest);
    expect(b.image).toEqual(a.image);
    expect(c.image.layers[0]!.chainId).toBe(a.image.layers[0]!.chainId);
    const blobGets = counting.urls.filter((u) => u.includes('/blobs/sha256:')).map((u) => u.slice(u.lastIndexOf('/') + 1));
    const base = app.layers[0]!.digest;
    expect(blobGets.filter((d) => d === base)).toHaveLength(1);
    for (const d of new Set(blobGets)) expect(blobGets.filter((x) => x === d)).toHaveLength(1);
    expect((await fresh.snapshots.list()).length).toBe(4);
  });

  it('GC spares images and snapshots in use by a mounted container; usage() lists images and layers', async () => {
    const gc = createImageComponents({ ...config, gc: { unusedForMs: 0, minFreeBytes: 0 } }, { http }).gc;
    const usage = await gc.usage();
    expect(usage.images.map((i) => i.manifestDigest)).toContain(app.manifestDigest);
    const appImage = usage.images.find((i) => i.manifestDigest === app.manifestDigest)!;
    expect(appImage.layers).toEqual(app.layers.map((l) => l.digest));
    expect(appImage.sizeBytes).toBeGreaterThan(1_000_000);
    expect(usage.layers.flatMap((l) => l.digests)).toEqual(expect.arrayContaining(app.layers.map((l) => l.digest)));
    const decision = await gc.collect();
    expect(decision.removeImages.map((i) => i.manifestDigest)).not.toContain(app.manifestDigest);
    expect(decision.removeSnapshots).toEqual([]);
    expect(await agent.store.get(app.manifestDigest)).toBeDefined();
  });

  it('removes container roots: unmounted, upper and work deleted, idempotent, no mounts left', async () => {
    await agent.snapshotter.remove('c-a');
    await agent.snapshotter.remove('c-b');
    await agent.snapshotter.remove('c-b');
    expect(mountsUnder(work.path)).toEqual([]);
    expect(existsSync(join(config.agentHome, 'containers', 'c-a'))).toBe(false);
    expect(await agent.snapshotter.list()).toEqual([]);
  });

  it('resolves an index to this host platform, and pulls by the index digest; another platform on request; none → clear error', async () => {
    const ref = `${registry.host}/team/multi:v1`;
    const mine = multi.manifests.find((m) => m.platform.architecture === builderHostPlatform().architecture)!;
    const result = await agent.puller.pull(ref);
    expect(result.image.manifestDigest).toBe(mine.digest);
    expect(result.image.indexDigest).toBe(multi.indexDigest);
    expect(result.image.config.platform.architecture).toBe(builderHostPlatform().architecture);
    const before = http.urls.length;
    expect((await agent.puller.pull(`${registry.host}/team/multi@${multi.indexDigest}`)).image.manifestDigest).toBe(mine.digest);
    expect(http.urls.length).toBe(before);
    const arm = createImageComponents({ ...config, agentHome: join(work.path, 'arm-agent'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    await arm.init();
    const armImage = (await arm.puller.pull(ref)).image;
    expect(armImage.manifestDigest).toBe(multi.manifests.find((m) => m.platform.architecture === 'arm64')!.digest);
    const s390 = createImageComponents({ ...config, agentHome: join(work.path, 's390-agent'), platform: { os: 'linux', architecture: 's390x' } });
    const err = await expectPullError(s390.puller.pull(ref), NoMatchingPlatform);
    expect(err.reason).toMatch(/^no-matching-platform: no image for linux\/s390x/);
  });

  it('pulls Docker schema 2 images', async () => {
    const result = await agent.puller.pull(`${registry.host}/team/docker:v1`);
    expect(result.image.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(result.image.manifestDigest).toBe(docker.manifestDigest);
    const root = join(work.path, 'c-docker', 'rootfs');
    await agent.snapshotter.prepare('c-docker', result.image, root);
    try {
      expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('docker\n');
    } finally {
      await agent.snapshotter.remove('c-docker');
    }
  });

  it('fails with clear reasons: unknown tag or repository, bad credentials, none, unreachable registry, bad reference', async () => {
    const tag = await expectPullError(agent.puller.pull(`${registry.host}/team/app:nope`), ImageNotFound);
    expect(tag.code).toBe('MANIFEST_UNKNOWN');
    expect(tag.reason).toMatch(/^not-found: manifest nope not found in 127\.0\.0\.1:\d+\/team\/app$/);
    const repo = await expectPullError(agent.puller.pull(`${registry.host}/team/nothing-here:v1`), ImageNotFound);
    expect(repo.kind).toBe('not-found');
    const wrong = await expectPullError(agent.puller.pull(appRef, { policy: 'always', credentials: { username: 'admin', password: 'wrong-password' } }), RegistryUnauthorized);
    expect(wrong.reason).toMatch(/^unauthorized: .*rejected the credentials of admin/);
    const anonymous = createImageComponents({ ...config, agentHome: join(work.path, 'anon-agent'), defaultCredentials: undefined });
    await expectPullError(anonymous.puller.pull(appRef), RegistryUnauthorized);
    const closed = createImageComponents({ ...config, agentHome: join(work.path, 'closed-agent'), defaultRegistryUrl: 'http://127.0.0.1:9' });
    const down = await expectPullError(closed.puller.pull('team/app:v1'), RegistryUnreachable);
    expect(down.reason).toMatch(/^unreachable: registry 127\.0\.0\.1:9 unreachable/);
    await expectPullError(agent.puller.pull('Team/App:v1'), BadImageReference);
  });

  it('rejects a layer whose bytes do not match its digest, leaving nothing behind', async () => {
    // A loopback proxy in front of the registry that flips one byte of every layer blob.
    const layers = new Set(app.layers.map((l) => l.digest));
    const proxy: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const headers: Record<string, string> = {};
        if (req.headers.authorization) headers['Authorization'] = req.headers.authorization;
        if (req.headers.accept) headers['Accept'] = req.headers.accept;
        const upstream = await fetch(`${registry.url}${req.url}`, { headers });
        let body = Buffer.from(await upstream.arrayBuffer());
        const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '')?.[1];
        if (digest && layers.has(digest) && upstream.ok) {
          body = Buffer.from(body);
          body[body.length - 1] ^= 0xff;
        }
        const out: Record<string, string> = {};
        for (const h of ['content-type', 'www-authenticate', 'docker-content-digest']) {
          const v = upstream.headers.get(h);
          if (v) out[h] = v.replace(registry.url, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
        }
        res.writeHead(upstream.status, { ...out, 'content-length': String(body.length) });
        res.end(body);
      })().catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const home = join(work.path, 'tampered-agent');
      const victim = createImageComponents({ ...config, agentHome: home, defaultRegistryUrl: `http://127.0.0.1:${port}` });
      await victim.init();
      const err = await expectPullError(victim.puller.pull(`127.0.0.1:${port}/team/app:v1`), ImageDigestMismatch);
      expect(err.reason).toMatch(/^digest-mismatch: layer sha256:[a-f0-9]{64} does not match its digest/);
      expect(readdirSync(join(home, 'images', 'blobs', 'sha256'))).toEqual([]);
      expect(readdirSync(join(home, 'images', 'blobs')).filter((n) => n !== 'sha256')).toEqual([]);
      expect((await victim.snapshots.list()).length).toBe(0);
      expect(readdirSync(join(home, 'snapshots')).filter((n) => !n.startsWith('.whiteout-'))).toEqual([]);
      expect(await victim.store.list()).toEqual([]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('GC removes unused images and their snapshots once nothing uses them', async () => {
    const gc = createImageComponents({ ...config, gc: { unusedForMs: 0, minFreeBytes: 0 } }, { http }).gc;
    const decision = await gc.collect();
    expect(decision.removeImages.map((i) => i.manifestDigest)).toContain(app.manifestDigest);
    expect(await agent.store.get(app.manifestDigest)).toBeUndefined();
    expect(await agent.store.resolve(`${registry.host}/team/app:v1`)).toBeUndefined();
    expect(await agent.snapshots.list()).toEqual([]);
    expect((await gc.usage()).totalBytes).toBe(0);
    expect(mountsUnder(work.path)).toEqual([]);
  });
});
