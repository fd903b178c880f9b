import { makeTempDir, TempDir, waitFor } from '@silo/testing';
import { connect, NatsConnection } from 'nats';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsRequest } from './nats-request';
import { alive, freePorts, Platform, Ports } from './platform';
import { Credentials, RegistryClient, sha256, withQuery } from './registry-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Crashes and load: SIGKILL mid-push, and pushers + pullers racing GC every second. */
describe('registry: reliability (real platform)', () => {
  let home: TempDir;
  let ports: Ports;
  let platform: Platform;
  let registry: RegistryClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    home = await makeTempDir('silo-e2e-reliability-');
    ports = await freePorts();
    process.env['SILO_REGISTRY_GC_GRACE_SECONDS'] = '3';
    try {
      platform = new Platform(home.path, ports);
      await platform.start();
    } finally {
      delete process.env['SILO_REGISTRY_GC_GRACE_SECONDS'];
    }
    registry = new RegistryClient(`http://127.0.0.1:${ports.registry}`, JSON.parse(readFileSync(join(home.path, 'admin-credentials.json'), 'utf8')) as Credentials);
    nc = await connect({ servers: `nats://127.0.0.1:${ports.nats}` });
  });

  afterAll(async () => {
    await nc?.close();
    await platform?.interrupt();
    await home?.cleanup();
  });

  it('SIGKILL of registry and layer store mid-push: nothing half-written is visible, and the push then completes', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const digest = sha256(data);
    const start = await registry.request('POST', '/v2/crash/app/blobs/uploads/');
    const location = start.headers.get('location')!;
    const first = await registry.request('PATCH', location, { body: data.subarray(0, 1024 * 1024), headers: { 'content-range': `0-${1024 * 1024 - 1}` } });
    expect(first.status).toBe(202);

    // A slow streamed PATCH is in flight when both services are killed.
    let sent = 1024 * 1024;
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        controller.enqueue(data.subarray(sent, sent + 64 * 1024));
        sent += 64 * 1024;
        await sleep(20);
      },
    });
    const inflight = fetch(registry.resolve(location), {
      method: 'PATCH',
      body: slow,
      headers: { authorization: registry.basic(), 'content-type': 'application/octet-stream' },
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => err);
    await waitFor(() => sent > 2 * 1024 * 1024, { description: 'the streamed PATCH to be under way' });
    const before = platform.childPids();
    process.kill(before['registry']!, 'SIGKILL');
    process.kill(before['layer-store']!, 'SIGKILL');
    await inflight;
    // the launcher restarts both; wait until they answer again
    await waitFor(
      () => {
        const now = platform.childPids();
        return now['registry'] !== before['registry'] && now['layer-store'] !== before['layer-store'] && alive(now['registry']!) && alive(now['layer-store']!);
      },
      { timeoutMs: 30_000, description: 'registry and layer store restarted' },
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.registry}/healthz`)).status === 200, { timeoutMs: 30_000, description: 'registry healthy' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.layerStore}/healthz`)).status === 200, { timeoutMs: 30_000, description: 'layer store healthy' });

    // nothing half-written is visible
    expect((await registry.request('HEAD', `/v2/crash/app/blobs/${digest}`)).status).toBe(404);
    // the session survived both restarts and says how much it holds
    const status = await registry.request('GET', location);
    expect(status.status).toBe(204);
    const received = Number(status.headers.get('range')!.split('-')[1]) + 1;
    expect(received).toBeGreaterThanOrEqual(1024 * 1024);
    expect(received).toBeLessThanOrEqual(4 * 1024 * 1024);
    // resume from there and finish
    const rest = await registry.request('PATCH', location, { body: data.subarray(received), headers: { 'content-range': `${received}-${data.length - 1}` } });
    expect(rest.status).toBe(202);
    const done = await registry.request('PUT', withQuery(location, `digest=${digest}`));
    expect(done.status).toBe(201);
    const blob = await registry.request('GET', `/v2/crash/app/blobs/${digest}`, { redirect: 'follow' });
    expect(createHash('sha256').update(blob.body).digest('hex')).toBe(digest.slice(7));
    // and a whole image push works
    await registry.pushImage('crash/app', 'after');
  });

  it('8 concurrent pushers and pullers with GC every second: zero errors, zero BLOB_UNKNOWN', async () => {
    const deadline = Date.now() + Number(process.env['SILO_SOAK_SECONDS'] ?? 20) * 1000;
    const errors: string[] = [];
    let pushes = 0;
    let pulls = 0;
    let gcRuns = 0;
    let swept = 0;
    const gcLoop = (async () => {
      while (Date.now() < deadline) {
        try {
          const report = await natsRequest<{ blobsSwept: number }>(nc, 'silo.registry.gc.run', {}, 30_000);
          swept += report.blobsSwept;
          gcRuns += 1;
        } catch (err) {
          errors.push(`gc: ${String(err)}`);
        }
        await sleep(1000);
      }
    })();
    const worker = async (w: number) => {
      const repo = `soak/w${w}`;
      const shared = Buffer.from(`shared base layer ${w % 2}`);
      for (let i = 0; Date.now() < deadline; i++) {
        try {
          // every worker re-pushes a shared blob (exists → HEAD → skip, as clients do) plus fresh ones
          const image = await registry.pushImage(repo, `t${i % 3}`);
          const head = await registry.request('HEAD', `/v2/${repo}/blobs/${sha256(shared)}`);
          if (head.status === 404) await registry.pushBlob(repo, shared);
          pushes += 1;
          if (i % 4 === 3) await registry.request('DELETE', `/v2/${repo}/manifests/${image.digest}`);
          else {
            const manifest = await registry.request('GET', `/v2/${repo}/manifests/t${i % 3}`);
            if (manifest.status !== 200) throw new Error(`manifest ${manifest.status} ${manifest.body.toString()}`);
            const parsed = manifest.json<{ config: { digest: string }; layers: Array<{ digest: string }> }>();
            for (const d of [parsed.config.digest, ...parsed.layers.map((l) => l.digest)]) {
              const blob = await registry.request('GET', `/v2/${repo}/blobs/${d}`, { redirect: 'follow' });
              if (blob.status !== 200 || sha256(blob.body) !== d) throw new Error(`blob ${d}: ${blob.status} ${blob.body.toString().slice(0, 200)}`);
            }
            pulls += 1;
          }
        } catch (err) {
          errors.push(`worker ${w}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all([...Array.from({ length: 8 }, (_, w) => worker(w)), gcLoop]);
    expect(errors).toEqual([]);
    expect(errors.join('\n')).not.toContain('BLOB_UNKNOWN');
    expect(pushes).toBeGreaterThan(40);
    expect(pulls).toBeGreaterThan(20);
    expect(gcRuns).toBeGreaterThan(5);
    expect(swept).toBeGreaterThan(0);
  });
});
