import { makeTempDir, TempDir, waitFor } from '@silo/testing';
import { connect, NatsConnection } from 'nats';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, Platform, Ports } from './platform';
import { Credentials, RegistryClient, sha256 } from './registry-client';

interface GcReport {
  dryRun: boolean;
  blobsSwept: number;
  bytesFreed: number;
  digests: string[];
  keptInGrace: number;
}

function blobFiles(home: string): string[] {
  const root = join(home, 'layer-store', 'blobs');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else out.push(entry.name);
    }
  };
  walk(root);
  return out;
}

/** GC through the api, events on NATS: the real platform with a 2-second grace period. */
describe('registry: garbage collection and events (real platform)', () => {
  let home: TempDir;
  let ports: Ports;
  let platform: Platform;
  let registry: RegistryClient;
  let creds: Credentials;
  let nc: NatsConnection;
  /** The events test deletes its image: its blobs are garbage for the GC test too. */
  let eventsImage: Awaited<ReturnType<RegistryClient['pushImage']>>;

  const gc = async (dryRun: boolean): Promise<GcReport> => {
    const res = await fetch(`http://127.0.0.1:${ports.api}/api/v1/registry/gc?dryRun=${dryRun}`, {
      method: 'POST',
      headers: { authorization: registry.basic() },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as GcReport;
  };

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-gc-');
    ports = await freePorts();
    process.env['SILO_REGISTRY_GC_GRACE_SECONDS'] = '2';
    try {
      platform = new Platform(home.path, ports);
      await platform.start();
    } finally {
      delete process.env['SILO_REGISTRY_GC_GRACE_SECONDS'];
    }
    creds = JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials;
    registry = new RegistryClient(`http://127.0.0.1:${ports.registry}`, creds);
    nc = await connect({ servers: `nats://127.0.0.1:${ports.nats}` });
  });

  afterAll(async () => {
    await nc?.close();
    await platform?.interrupt();
    await home?.cleanup();
  });

  it('publishes silo.registry.pushed and silo.registry.deleted', async () => {
    const events: Array<{ subject: string; data: Record<string, unknown> }> = [];
    // the events only: silo.registry.> would also see the commands (a direct upload's commit)
    const sub = nc.subscribe('silo.registry.*', {
      callback: (_e, msg) => events.push({ subject: msg.subject, data: (JSON.parse(new TextDecoder().decode(msg.data)) as { data: Record<string, unknown> }).data }),
    });
    await nc.flush();
    const image = await registry.pushImage('events/app', 'v1');
    eventsImage = image;
    await registry.request('DELETE', `/v2/events/app/manifests/${image.digest}`);
    await waitFor(() => events.length >= 2, { description: 'two registry events' });
    sub.unsubscribe();
    expect(events[0]).toEqual({
      subject: 'silo.registry.pushed',
      data: { repository: 'events/app', tag: 'v1', digest: image.digest, size: image.manifest.length, mediaType: 'application/vnd.oci.image.manifest.v1+json', public: false },
    });
    expect(events[1]).toEqual({ subject: 'silo.registry.deleted', data: { repository: 'events/app', digest: image.digest, tags: ['v1'], public: false } });
  });

  it('sweeps only unreferenced blobs past the grace period; dry run changes nothing', async () => {
    const kept = await registry.pushImage('gc/app', 'keep');
    const doomed = await registry.pushImage('gc/app', 'doomed');
    const orphanBlob = await registry.pushBlob('gc/app', Buffer.from('never referenced'));
    await registry.request('DELETE', `/v2/gc/app/manifests/${doomed.digest}`);
    const inGrace = await gc(false);
    expect(inGrace.digests).not.toContain(orphanBlob);
    expect(inGrace.keptInGrace).toBeGreaterThanOrEqual(3);

    await new Promise((r) => setTimeout(r, 2500));
    const before = blobFiles(home.path).length;
    const dry = await gc(true);
    expect(dry.dryRun).toBe(true);
    const garbage = [doomed.layerDigest, doomed.configDigest, orphanBlob, eventsImage.layerDigest, eventsImage.configDigest].sort();
    expect(dry.digests.sort()).toEqual(garbage);
    expect(blobFiles(home.path).length).toBe(before);

    const real = await gc(false);
    expect(real.digests.sort()).toEqual(garbage);
    const sizes = [doomed.layer, doomed.config, eventsImage.layer, eventsImage.config].reduce((n, b) => n + b.length, 0);
    expect(real.bytesFreed).toBe(sizes + 'never referenced'.length);
    expect(blobFiles(home.path).length).toBe(before - 5);
    // what is referenced is intact and still pulls
    const layer = await registry.request('GET', `/v2/gc/app/blobs/${kept.layerDigest}`, { redirect: 'follow' });
    expect(layer.body.equals(kept.layer)).toBe(true);
    expect((await registry.request('HEAD', `/v2/gc/app/blobs/${orphanBlob}`)).status).toBe(404);
    // and a swept blob can be pushed again
    expect(await registry.pushBlob('gc/app', Buffer.from('never referenced'))).toBe(sha256('never referenced'));
  });

  it('silo registry gc [--dry-run] reports through the api', async () => {
    const { silo, platformEnv } = await import('./platform');
    const dry = silo(['registry', 'gc', '--dry-run', '-o', 'json'], platformEnv(home.path, ports));
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, blobsSwept: expect.any(Number) });
    const table = silo(['registry', 'gc'], platformEnv(home.path, ports));
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/REGISTRY GC\s+DONE/);
    expect(table.stdout).toMatch(/bytes freed\s+\d+/);
  });

  it('refuses a bad dryRun value', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.api}/api/v1/registry/gc?dryRun=maybe`, { method: 'POST', headers: { authorization: registry.basic() } });
    expect(res.status).toBe(400);
  });
});
