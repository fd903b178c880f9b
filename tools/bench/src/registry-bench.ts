/**
 * `npm run bench:registry`: the Silo registry against CNCF Distribution 2.8, both on loopback,
 * driven by skopeo. See tools/bench/README.md for what is measured and the caveats.
 *
 * Progress goes to stderr; the results (tables, then one JSON line, always the last line) to stdout.
 */
import { buildOciLayout, BuiltImage, DistributionHandle, makeTempDir, skopeoCopy, startDistribution } from '@silo/testing';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePlatformPorts, machineBusyCpuSeconds, processCpuSeconds, reapedChildrenCpuSeconds, SiloPlatform } from './registry/platform';
import { fmtRange, fmtSeconds, intSetting, layerSizesSetting, parsePrometheus, ratio, round, routeTimes, summarize, Summary, table } from './registry/stats';
import { Cleanup } from './cleanup';

const MiB = 1024 * 1024;
const TARGET_RATIO = 0.8;
const SKOPEO_TIMEOUT_MS = 600_000;

type Compression = 'none' | 'gzip';

interface Settings {
  runs: number;
  smallImages: number;
  smallRuns: number;
  concurrency: number;
  smallLayerBytes: number;
  largeLayersMiB: number[];
  compression: Compression;
  gzipLevel: number;
  proxy: boolean;
  sync: boolean;
  /** Before each timed operation, wait up to this long for the machine to be quiet (0: don't). */
  quietWaitSeconds: number;
  /** Repeat a disturbed pull or local copy up to this many times. */
  noisyRetries: number;
  /** Also measure the floor: the same copies against a registry that does no work. */
  floor: boolean;
}

function loadSettings(env: Record<string, string | undefined>): Settings {
  const runs = intSetting(env, 'BENCH_RUNS', 5);
  const compression = (env['BENCH_COMPRESSION'] ?? '').trim() || 'none';
  if (compression !== 'none' && compression !== 'gzip') throw new Error(`BENCH_COMPRESSION must be "none" or "gzip", got "${compression}"`);
  const gzipLevel = intSetting(env, 'BENCH_GZIP_LEVEL', 1, 0);
  if (gzipLevel > 9) throw new Error(`BENCH_GZIP_LEVEL must be 0…9, got ${gzipLevel}`);
  return {
    runs,
    smallImages: intSetting(env, 'BENCH_SMALL_IMAGES', 200),
    smallRuns: intSetting(env, 'BENCH_SMALL_RUNS', runs),
    concurrency: intSetting(env, 'BENCH_CONCURRENCY', 4),
    smallLayerBytes: intSetting(env, 'BENCH_SMALL_LAYER_BYTES', 10 * 1024),
    largeLayersMiB: layerSizesSetting(env, 'BENCH_LARGE_LAYERS_MIB', [60, 40, 30, 20]),
    compression,
    gzipLevel,
    proxy: (env['BENCH_PROXY'] ?? '1') !== '0',
    sync: (env['BENCH_SYNC'] ?? '1') !== '0',
    quietWaitSeconds: intSetting(env, 'BENCH_QUIET_WAIT_S', 20, 0),
    noisyRetries: intSetting(env, 'BENCH_NOISY_RETRIES', 2, 0),
    floor: (env['BENCH_FLOOR'] ?? '1') !== '0',
  };
}

function log(message: string): void {
  process.stderr.write(`bench | ${message}\n`);
}

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

// ---------------------------------------------------------------------------------------------
// Targets, samples and the recorder

type TargetKey = 'silo' | 'distribution' | 'silo-proxy' | 'distribution-rerun' | 'skopeo-local' | 'null-registry' | 'null-durable';

interface Target {
  key: TargetKey;
  /** 127.0.0.1:PORT, or '' for skopeo alone (local layout to local layout). */
  host: string;
  creds?: string;
  /** The server's processes, by name, whose CPU time is sampled around each operation. */
  serverPids(): Record<string, number>;
  /** Services whose `/metrics` give HTTP handling time per route (Silo only). */
  metricsPorts?: Record<string, number>;
}

interface Sample {
  seconds: number;
  /** CPU seconds used meanwhile by each server process. */
  serverCpu: Record<string, number>;
  /** CPU seconds of the skopeo runs of the operation. */
  clientCpu: number;
  /** CPU seconds used meanwhile by everything else on the machine (other people's work: noise). */
  foreignCpu: number;
  /** Silo only: requests and handling seconds per `service METHOD route` during the operation. */
  routes?: Record<string, { count: number; seconds: number }>;
  /** Other processes used more than NOISY_SHARE of the machine's CPUs meanwhile. */
  noisy: boolean;
}

type Metric = 'push-large' | 'pull-large' | 'push-small' | 'pull-small' | 'copy-large' | 'copy-small';

class Recorder {
  private readonly samples = new Map<string, Sample[]>();

  add(metric: Metric, target: TargetKey, sample: Sample): void {
    const key = `${metric}/${target}`;
    this.samples.set(key, [...(this.samples.get(key) ?? []), sample]);
  }

  get(metric: Metric, target: TargetKey): Sample[] {
    return this.samples.get(`${metric}/${target}`) ?? [];
  }

  seconds(metric: Metric, target: TargetKey): Summary | undefined {
    const s = this.get(metric, target);
    return s.length ? summarize(s.map((x) => x.seconds)) : undefined;
  }

  noisy(metric: Metric, target: TargetKey): number {
    return this.get(metric, target).filter((x) => x.noisy).length;
  }

  /** Median CPU seconds per operation: each server process, and skopeo. */
  cpu(metric: Metric, target: TargetKey): Cpu | undefined {
    const s = this.get(metric, target);
    if (!s.length) return undefined;
    const names = new Set(s.flatMap((x) => Object.keys(x.serverCpu)));
    const server: Record<string, number> = {};
    for (const name of names) server[name] = summarize(s.map((x) => x.serverCpu[name] ?? 0)).median;
    return { server, client: summarize(s.map((x) => x.clientCpu)).median, foreign: summarize(s.map((x) => x.foreignCpu)).median };
  }

  /** Median requests and handling seconds per operation, by `service METHOD route`, busiest first. */
  routes(metric: Metric, target: TargetKey): Array<{ key: string; count: number; seconds: number }> {
    const s = this.get(metric, target).filter((x) => x.routes);
    const keys = new Set(s.flatMap((x) => Object.keys(x.routes ?? {})));
    return [...keys]
      .map((key) => ({
        key,
        count: summarize(s.map((x) => x.routes?.[key]?.count ?? 0)).median,
        seconds: summarize(s.map((x) => x.routes?.[key]?.seconds ?? 0)).median,
      }))
      .sort((a, b) => b.seconds - a.seconds);
  }

  noisyTotal(): { noisy: number; total: number } {
    const all = [...this.samples.values()].flat();
    return { noisy: all.filter((x) => x.noisy).length, total: all.length };
  }

  /** Share of the machine's CPU capacity that other processes used during the timed operations. */
  foreignShare(cpuCount: number): number {
    const all = [...this.samples.values()].flat();
    const wall = all.reduce((a, x) => a + x.seconds, 0);
    return wall ? all.reduce((a, x) => a + x.foreignCpu, 0) / (wall * cpuCount) : 0;
  }
}

interface Cpu {
  server: Record<string, number>;
  client: number;
  foreign: number;
}

function syncDisks(enabled: boolean): void {
  // Flush dirty pages first, so that one operation's writes are not paid for by the next one.
  if (enabled) spawnSync('sync', { stdio: 'ignore' });
}

async function scrapeRoutes(port: number): Promise<ReturnType<typeof routeTimes>> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return [];
    return routeTimes(parsePrometheus(await res.text()));
  } catch {
    return [];
  }
}

/** `service METHOD route` → cumulative requests and handling seconds, of every service given. */
async function scrapeAll(ports: Record<string, number>): Promise<Record<string, { count: number; seconds: number }>> {
  const all: Record<string, { count: number; seconds: number }> = {};
  for (const [service, port] of Object.entries(ports)) {
    for (const rt of await scrapeRoutes(port)) if (rt.route !== '/metrics') all[`${service} ${rt.method} ${rt.route}`] = { count: rt.count, seconds: rt.totalSeconds };
  }
  return all;
}

const QUIET_SHARE = 0.15;
const NOISY_SHARE = 0.1;

/**
 * Waits (at most `maxSeconds`) until the machine's CPUs are less than 15% busy over a quarter of a
 * second: other people's builds and tests on a shared 2-CPU machine would otherwise land inside
 * whichever operation happens to be running.
 */
async function awaitQuiet(maxSeconds: number): Promise<void> {
  if (maxSeconds <= 0) return;
  const deadline = performance.now() + maxSeconds * 1000;
  let warned = false;
  for (;;) {
    const before = machineBusyCpuSeconds();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const share = (machineBusyCpuSeconds() - before) / (((performance.now() - started) / 1000) * cpus().length);
    if (share < QUIET_SHARE) return;
    if (performance.now() > deadline) {
      log(`  the machine is still ${(share * 100).toFixed(0)}% busy after ${maxSeconds} s: measuring anyway`);
      return;
    }
    if (!warned) log(`  the machine is ${(share * 100).toFixed(0)}% busy (other processes): waiting for quiet`);
    warned = true;
  }
}

async function measure(target: Target, settings: Settings, operation: () => Promise<void>): Promise<Sample> {
  syncDisks(settings.sync);
  await awaitQuiet(settings.quietWaitSeconds);
  const routesBefore = target.metricsPorts ? await scrapeAll(target.metricsPorts) : undefined;
  const pids = target.serverPids();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]));
  const clientBefore = reapedChildrenCpuSeconds();
  const selfBefore = process.cpuUsage();
  const machineBefore = machineBusyCpuSeconds();
  const started = performance.now();
  await operation();
  const seconds = (performance.now() - started) / 1000;
  const machine = machineBusyCpuSeconds() - machineBefore;
  const self = process.cpuUsage(selfBefore);
  const serverCpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, Math.max(0, processCpuSeconds(pid) - (before[name] ?? 0))]));
  const clientCpu = Math.max(0, reapedChildrenCpuSeconds() - clientBefore);
  const ours = Object.values(serverCpu).reduce((a, b) => a + b, 0) + clientCpu + (self.user + self.system) / 1e6;
  const foreignCpu = Math.max(0, machine - ours);
  const sample: Sample = { seconds, serverCpu, clientCpu, foreignCpu, noisy: foreignCpu > NOISY_SHARE * seconds * cpus().length };
  if (target.metricsPorts && routesBefore) {
    const after = await scrapeAll(target.metricsPorts);
    sample.routes = {};
    for (const [key, value] of Object.entries(after)) {
      const prior = routesBefore[key] ?? { count: 0, seconds: 0 };
      if (value.count > prior.count) sample.routes[key] = { count: value.count - prior.count, seconds: value.seconds - prior.seconds };
    }
  }
  return sample;
}

/**
 * For operations that can be repeated unchanged (pulls, local copies; not pushes, which would find
 * their blobs already there): measures again, after `reset`, while other processes disturbed the
 * measurement, at most `settings.noisyRetries` more times; keeps the least disturbed sample.
 */
async function measureRepeatable(target: Target, settings: Settings, operation: () => Promise<void>, reset: () => Promise<void>): Promise<Sample> {
  let best: Sample | undefined;
  for (let attempt = 0; ; attempt++) {
    const sample = await measure(target, settings, operation);
    if (!best || sample.foreignCpu / sample.seconds < best.foreignCpu / best.seconds) best = sample;
    if (!sample.noisy || attempt >= settings.noisyRetries) return best;
    log(`  ${target.key}: other processes used ${sample.foreignCpu.toFixed(2)} CPU s during ${sample.seconds.toFixed(3)} s: measuring again`);
    await reset();
  }
}

// ---------------------------------------------------------------------------------------------
// skopeo operations

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

function registryRef(target: Target, ref: string): string {
  return `docker://${target.host}/${ref}`;
}

/** The floor keeps what it is sent in memory: before each push it forgets the previous ones. */
async function forgetIfFloor(target: Target): Promise<void> {
  if (target.key !== 'null-registry' && target.key !== 'null-durable') return;
  const res = await fetch(`http://${target.host}/`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
  if (res.status !== 204) throw new Error(`the null registry answered ${res.status} to DELETE /`);
}

async function push(image: BuiltImage, target: Target, ref: string): Promise<void> {
  const dest = target.host ? registryRef(target, ref) : `oci:${ref}`;
  const { digest } = await skopeoCopy(image.layoutRef, dest, { preserveDigests: true, destCreds: target.creds, timeoutMs: SKOPEO_TIMEOUT_MS });
  if (digest !== image.digest) throw new Error(`${dest}: skopeo wrote ${digest}, the image is ${image.digest}`);
}

async function pull(target: Target, ref: string, dest: string, expected: string): Promise<void> {
  const { digest } = await skopeoCopy(registryRef(target, ref), dest, { preserveDigests: true, srcCreds: target.creds, timeoutMs: SKOPEO_TIMEOUT_MS });
  if (digest !== expected) throw new Error(`${ref} from ${target.key}: skopeo read ${digest}, expected ${expected}`);
}

/** Runs `work` over the items with at most `concurrency` at a time; stops taking new items after a failure and rethrows it. */
async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function fmtSample(s: Sample, bytes?: number): string {
  const server = Object.values(s.serverCpu).reduce((a, b) => a + b, 0);
  const rate = bytes ? `, ${(bytes / 1e6 / s.seconds).toFixed(0)} MB/s` : '';
  return `${s.seconds.toFixed(3)} s${rate} (cpu: server ${server.toFixed(2)} s, skopeo ${s.clientCpu.toFixed(2)} s, others ${s.foreignCpu.toFixed(2)} s)`;
}

// ---------------------------------------------------------------------------------------------
// Cleanup, on every path


// ---------------------------------------------------------------------------------------------
// The benchmark

interface Report {
  settings: Settings;
  recorder: Recorder;
  largeBytes: number;
  smallBytes: number;
  launcherExits: Array<number | string>;
  skopeoVersion: string;
  distributionVersion: string;
}


interface NullRegistry {
  host: string;
  pid: number;
  stop(): Promise<void>;
}

/** The floor (registry/null-registry.ts) in a process of its own, on a free loopback port; `durableDir`: blobs fsynced there. */
async function startNullRegistry(durableDir?: string): Promise<NullRegistry> {
  const args = [join(__dirname, 'registry', 'null-registry.js'), ...(durableDir ? ['--durable', durableDir] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the null registry did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`the null registry exited (${code}) before listening`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    host: `127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

function versionOf(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

async function runBenchmark(settings: Settings, cleanup: Cleanup): Promise<Report> {
  const recorder = new Recorder();
  const launcherExits: Array<number | string> = [];
  const work = await makeTempDir('silo-bench-work-');
  cleanup.add('remove the work dir', () => work.cleanup());
  const home = await makeTempDir('silo-bench-home-');
  cleanup.add('remove SILO_HOME', () => home.cleanup());

  let platform: SiloPlatform | undefined;
  cleanup.add('stop the Silo platform', async () => {
    if (platform) launcherExits.push(await platform.stop());
  });
  const started: { distribution?: DistributionHandle; nullRegistry?: NullRegistry; nullDurable?: NullRegistry } = {};
  cleanup.add('stop Distribution', async () => started.distribution?.stop());
  cleanup.add('stop the null registries', async () => {
    await started.nullRegistry?.stop();
    await started.nullDurable?.stop();
  });

  log(`starting the Silo platform (SILO_HOME ${home.path}) and CNCF Distribution`);
  const startedAt = performance.now();
  platform = new SiloPlatform(home.path, await freePlatformPorts());
  const dist = (started.distribution = await startDistribution());
  await platform.start();
  log(`both up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: Silo registry ${platform.registryHost}, Distribution ${dist.host}`);
  const { username, password } = platform.credentials();
  const siloTarget = (p: SiloPlatform, key: TargetKey): Target => ({
    key,
    host: p.registryHost,
    creds: `${username}:${password}`,
    serverPids: () => p.childPids(),
    metricsPorts: { registry: p.ports.registry, 'layer-store': p.ports.layerStore },
  });
  const distTarget = (key: TargetKey): Target => ({ key, host: dist.host, serverPids: () => ({ 'docker-registry': dist.pid }) });
  const silo = siloTarget(platform, 'silo');
  const distribution1 = distTarget('distribution');
  const local: Target = { key: 'skopeo-local', host: '', serverPids: () => ({}) };
  const floorRegistry = settings.floor ? (started.nullRegistry = await startNullRegistry()) : undefined;
  const durableFloor = settings.floor ? (started.nullDurable = await startNullRegistry(join(work.path, 'null-durable'))) : undefined;
  const nullTarget: Target[] = floorRegistry ? [{ key: 'null-registry', host: floorRegistry.host, serverPids: () => ({ 'null-registry': floorRegistry.pid }) }] : [];
  /** Pushes only: what it adds to the floor is the fsync of each blob at its PUT. */
  const durableTarget: Target[] = durableFloor ? [{ key: 'null-durable', host: durableFloor.host, serverPids: () => ({ 'null-durable': durableFloor.pid }) }] : [];
  /** Silo and Distribution alternate who goes first; the floor, when measured, goes in between or last. */
  const orderOf = (run: number): Target[] => (run % 2 === 1 ? [silo, ...nullTarget, distribution1] : [distribution1, silo, ...nullTarget]);
  const pushOrderOf = (run: number): Target[] => (run % 2 === 1 ? [silo, ...nullTarget, ...durableTarget, distribution1] : [distribution1, ...durableTarget, silo, ...nullTarget]);

  // Warm-up (not timed): the first push and pull to each registry (JIT, database, token flow).
  const warm = await buildOciLayout(join(work.path, 'warmup'), { tag: 'w', layers: [{ randomBytes: 4096, compression: settings.compression }], gzipLevel: settings.gzipLevel });
  for (const t of durableTarget) await push(warm, t, 'bench/warmup:w');
  for (const t of [silo, distribution1, ...nullTarget]) {
    await push(warm, t, 'bench/warmup:w');
    await pull(t, 'bench/warmup:w', `oci:${join(work.path, `warm-${t.key}`)}:w`, warm.digest);
  }

  // ---- Large image
  let largeBytes = 0;
  const largeImages: Array<{ tag: string; digest: string }> = [];
  for (let run = 1; run <= settings.runs; run++) {
    const dir = join(work.path, `large-${run}`);
    const tag = `run${run}`;
    const buildStarted = performance.now();
    const image = await buildOciLayout(dir, {
      tag,
      layers: settings.largeLayersMiB.map((mib) => ({ randomBytes: Math.round(mib * MiB), compression: settings.compression })),
      gzipLevel: settings.gzipLevel,
    });
    largeBytes = image.totalSize;
    largeImages.push({ tag, digest: image.digest });
    log(`large run ${run}/${settings.runs}: built ${(image.totalSize / 1e6).toFixed(1)} MB in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s (not timed)`);
    const order = orderOf(run);
    for (const t of pushOrderOf(run)) {
      await forgetIfFloor(t);
      const s = await measure(t, settings, () => push(image, t, `bench/big:${tag}`));
      recorder.add('push-large', t.key, s);
      log(`  push ${t.key.padEnd(12)} ${fmtSample(s, image.totalSize)}`);
    }
    for (const t of order) {
      const dest = join(work.path, `pulled-${t.key}-${run}`);
      const s = await measureRepeatable(
        t,
        settings,
        () => pull(t, `bench/big:${tag}`, `oci:${dest}:${tag}`, image.digest),
        () => rm(dest, { recursive: true, force: true }),
      );
      recorder.add('pull-large', t.key, s);
      log(`  pull ${t.key.padEnd(12)} ${fmtSample(s, image.totalSize)}`);
      await rm(dest, { recursive: true, force: true });
    }
    // skopeo alone: the same image from one local OCI layout to another (no registry, no network).
    const floorDir = join(work.path, `floor-${run}`);
    const floor = await measureRepeatable(
      local,
      settings,
      () => push(image, local, `${floorDir}:${tag}`),
      () => rm(floorDir, { recursive: true, force: true }),
    );
    recorder.add('copy-large', 'skopeo-local', floor);
    log(`  local oci:→oci: ${fmtSample(floor, image.totalSize)}`);
    await rm(floorDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }

  // ---- Many small images
  let smallBytes = 0;
  let lastSmall: { run: number; digests: string[] } | undefined;
  for (let run = 1; run <= settings.smallRuns; run++) {
    const dir = join(work.path, `small-${run}`);
    const buildStarted = performance.now();
    const images: BuiltImage[] = [];
    for (let i = 0; i < settings.smallImages; i++) {
      images.push(
        await buildOciLayout(join(dir, String(i)), {
          tag: `s${run}`,
          layers: [{ randomBytes: settings.smallLayerBytes, compression: settings.compression }],
          gzipLevel: settings.gzipLevel,
        }),
      );
    }
    smallBytes = images.reduce((a, img) => a + img.totalSize, 0);
    log(`small run ${run}/${settings.smallRuns}: built ${images.length} images (${(smallBytes / 1e6).toFixed(2)} MB) in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s (not timed)`);
    const tag = `s${run}`;
    const order = orderOf(run);
    for (const t of pushOrderOf(run)) {
      await forgetIfFloor(t);
      const s = await measure(t, settings, () => pool(images, settings.concurrency, (img, i) => push(img, t, `bench/small-${i}:${tag}`)));
      recorder.add('push-small', t.key, s);
      log(`  push ${images.length} ${t.key.padEnd(12)} ${fmtSample(s)}`);
    }
    for (const t of order) {
      const dest = join(work.path, `pulled-small-${t.key}-${run}`);
      await emptyDir(dest);
      const s = await measureRepeatable(
        t,
        settings,
        () => pool(images, settings.concurrency, (img, i) => pull(t, `bench/small-${i}:${tag}`, `oci:${join(dest, String(i))}:${tag}`, img.digest)),
        () => emptyDir(dest),
      );
      recorder.add('pull-small', t.key, s);
      log(`  pull ${images.length} ${t.key.padEnd(12)} ${fmtSample(s)}`);
      await rm(dest, { recursive: true, force: true });
    }
    const floorDir = join(work.path, `floor-small-${run}`);
    await emptyDir(floorDir);
    const floor = await measureRepeatable(
      local,
      settings,
      () => pool(images, settings.concurrency, (img, i) => push(img, local, `${join(floorDir, String(i))}:${tag}`)),
      () => emptyDir(floorDir),
    );
    recorder.add('copy-small', 'skopeo-local', floor);
    log(`  local oci:→oci: ×${images.length} ${fmtSample(floor)}`);
    await rm(floorDir, { recursive: true, force: true });
    lastSmall = { run, digests: images.map((img) => img.digest) };
    await rm(dir, { recursive: true, force: true });
  }

  // ---- Extra: blob GETs streamed by the registry (SILO_REGISTRY_BLOB_DELIVERY=proxy) instead of 307 redirects.
  if (settings.proxy) {
    log('restarting Silo on the same SILO_HOME with SILO_REGISTRY_BLOB_DELIVERY=proxy');
    launcherExits.push(await platform.stop());
    platform = new SiloPlatform(home.path, await freePlatformPorts(), { SILO_REGISTRY_BLOB_DELIVERY: 'proxy' });
    await platform.start();
    const proxy = siloTarget(platform, 'silo-proxy');
    const distribution2 = distTarget('distribution-rerun');
    for (const t of [proxy, distribution2]) await pull(t, 'bench/warmup:w', `oci:${join(work.path, `warm2-${t.key}`)}:w`, warm.digest);
    for (const [index, image] of largeImages.entries()) {
      const order = index % 2 === 0 ? [proxy, distribution2] : [distribution2, proxy];
      for (const t of order) {
        const dest = join(work.path, `pulled2-${t.key}-${image.tag}`);
        const s = await measureRepeatable(
          t,
          settings,
          () => pull(t, `bench/big:${image.tag}`, `oci:${dest}:${image.tag}`, image.digest),
          () => rm(dest, { recursive: true, force: true }),
        );
        recorder.add('pull-large', t.key, s);
        log(`  pull ${t.key.padEnd(18)} ${fmtSample(s, largeBytes)}`);
        await rm(dest, { recursive: true, force: true });
      }
    }
    if (lastSmall) {
      const { run, digests } = lastSmall;
      for (let repeat = 0; repeat < settings.smallRuns; repeat++) {
        const order = repeat % 2 === 0 ? [proxy, distribution2] : [distribution2, proxy];
        for (const t of order) {
          const dest = join(work.path, `pulled2-small-${t.key}`);
          await emptyDir(dest);
          const s = await measureRepeatable(
            t,
            settings,
            () => pool(digests, settings.concurrency, (digest, i) => pull(t, `bench/small-${i}:s${run}`, `oci:${join(dest, String(i))}:s${run}`, digest)),
            () => emptyDir(dest),
          );
          recorder.add('pull-small', t.key, s);
          log(`  pull ${digests.length} ${t.key.padEnd(18)} ${fmtSample(s)}`);
          await rm(dest, { recursive: true, force: true });
        }
      }
    }
  }

  return {
    settings,
    recorder,
    largeBytes,
    smallBytes,
    launcherExits,
    skopeoVersion: versionOf('skopeo', ['--version']),
    distributionVersion: versionOf('docker-registry', ['--version']),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

/** [server + skopeo, others] CPU seconds of one operation, for the CPU table. */
function cpuCells(cpu: Cpu | undefined, silo: boolean): [string, string] {
  if (!cpu) return ['–', '–'];
  const total = Object.values(cpu.server).reduce((a, b) => a + b, 0);
  const skopeoCpu = `skopeo ${cpu.client.toFixed(2)}`;
  const foreign = cpu.foreign.toFixed(2);
  if (!silo) return [`docker-registry ${total.toFixed(2)} + ${skopeoCpu}`, foreign];
  const reg = cpu.server['registry'] ?? 0;
  const store = cpu.server['layer-store'] ?? 0;
  const others = Math.max(0, total - reg - store);
  return [`registry ${reg.toFixed(2)} + layer-store ${store.toFixed(2)} + other services ${others.toFixed(2)} + ${skopeoCpu}`, foreign];
}

function runsCell(summary: Summary | undefined, noisy: number): string {
  return `${summary?.n ?? 0}${noisy ? ` (${noisy} noisy)` : ''}`;
}

function seconds(summary: Summary | undefined): { median: number; min: number; max: number; n: number } | null {
  return summary ? { median: round(summary.median), min: round(summary.min), max: round(summary.max), n: summary.n } : null;
}

function printReport(report: Report, cleanupErrors: string[]): void {
  const { settings, recorder: r } = report;
  const largeMB = (report.largeBytes / 1e6).toFixed(1);
  const compression = settings.compression === 'none' ? 'uncompressed tar layers (compression: none)' : `gzip level ${settings.gzipLevel} layers`;
  const rate = (s: Summary | undefined) => (s ? ` (${(report.largeBytes / 1e6 / s.median).toFixed(0)} MB/s)` : '');

  type Row = { metric: Metric; label: string; silo: TargetKey; dist: TargetKey; large: boolean };
  const rows: Row[] = [
    { metric: 'push-large', label: `push-large (${largeMB} MB)`, silo: 'silo', dist: 'distribution', large: true },
    { metric: 'pull-large', label: `pull-large (${largeMB} MB)`, silo: 'silo', dist: 'distribution', large: true },
    { metric: 'push-small', label: `push-${settings.smallImages}`, silo: 'silo', dist: 'distribution', large: false },
    { metric: 'pull-small', label: `pull-${settings.smallImages}`, silo: 'silo', dist: 'distribution', large: false },
  ];
  if (settings.proxy) {
    rows.push(
      { metric: 'pull-large', label: 'pull-large, Silo proxy delivery*', silo: 'silo-proxy', dist: 'distribution-rerun', large: true },
      { metric: 'pull-small', label: `pull-${settings.smallImages}, Silo proxy delivery*`, silo: 'silo-proxy', dist: 'distribution-rerun', large: false },
    );
  }

  out('');
  out(`Silo registry vs CNCF Distribution — loopback, ${cpus().length} CPUs, ${report.skopeoVersion}, ${report.distributionVersion || 'docker-registry'}`);
  out(`large image: ${settings.largeLayersMiB.length} layers of ${settings.largeLayersMiB.join('+')} MiB random bytes = ${largeMB} MB, ${compression}; ${settings.runs} runs, fresh content each run`);
  out(`small images: ${settings.smallImages} × (one ${settings.smallLayerBytes}-byte random layer + config), ${settings.concurrency} skopeo at a time; ${settings.smallRuns} runs`);
  out('times are wall-clock seconds of skopeo copy (push: oci: layout → registry; pull: registry → fresh oci: layout); ratio = Silo median / Distribution median, lower is better');
  out('');
  out(
    table(
      ['metric', 'Silo median', 'Distribution median', 'ratio Silo/Dist', 'Silo min–max s', 'Dist min–max s', 'runs'],
      rows.map((row) => {
        const s = r.seconds(row.metric, row.silo);
        const d = r.seconds(row.metric, row.dist);
        return [
          row.label,
          fmtSeconds(s?.median) + (row.large ? rate(s) : ''),
          fmtSeconds(d?.median) + (row.large ? rate(d) : ''),
          String(ratio(s?.median, d?.median) ?? '–'),
          fmtRange(s),
          fmtRange(d),
          runsCell(s, r.noisy(row.metric, row.silo) + r.noisy(row.metric, row.dist)),
        ];
      }),
    ),
  );
  if (settings.proxy) out('* after a restart with SILO_REGISTRY_BLOB_DELIVERY=proxy (the registry streams blobs instead of answering 307 to the layer store), against Distribution re-measured in the same phase');

  const floorLarge = r.seconds('copy-large', 'skopeo-local');
  const floorSmall = r.seconds('copy-small', 'skopeo-local');
  out('');
  out('skopeo alone (the same copies between two local oci: layouts, no registry): what skopeo itself costs for these bytes and invocations; a reference, not a strict floor (here skopeo reads, verifies and writes both sides itself)');
  out(
    table(
      ['copy', 'median', 'min–max s', 'runs'],
      [
        [`large image (${largeMB} MB)`, fmtSeconds(floorLarge?.median) + rate(floorLarge), fmtRange(floorLarge), runsCell(floorLarge, r.noisy('copy-large', 'skopeo-local'))],
        [`${settings.smallImages} small images`, fmtSeconds(floorSmall?.median), fmtRange(floorSmall), runsCell(floorSmall, r.noisy('copy-small', 'skopeo-local'))],
      ],
    ),
  );

  const floorRows = rows.filter((row) => row.silo === 'silo');
  if (settings.floor) {
    out('');
    out('the floor: the same copies against a registry that does no work (tools/bench/src/registry/null-registry.ts: bytes kept in memory, nothing hashed, verified, authorized, written to disk or recorded); floor/Distribution is what skopeo costs here with a server that does nothing. The durable floor (pushes only) also writes, fsyncs and renames each blob at its final PUT, as issue #3 requires of a committed blob (Distribution does not fsync)');
    out(
      table(
        ['metric', 'floor median', 'durable floor median', 'Distribution median', 'floor/Distribution', 'durable floor/Distribution', 'Silo/Distribution'],
        floorRows.map((row) => {
          const f = r.seconds(row.metric, 'null-registry');
          const fd = r.seconds(row.metric, 'null-durable');
          const d = r.seconds(row.metric, row.dist);
          const s = r.seconds(row.metric, row.silo);
          return [
            row.label,
            fmtSeconds(f?.median),
            fd ? fmtSeconds(fd.median) : '–',
            fmtSeconds(d?.median),
            String(ratio(f?.median, d?.median) ?? '–'),
            fd ? String(ratio(fd.median, d?.median) ?? '–') : '–',
            String(ratio(s?.median, d?.median) ?? '–'),
          ];
        }),
      ),
    );
  }

  out('');
  out('CPU seconds per operation (medians): server processes + the skopeo client | other processes on the machine meanwhile (noise)');
  out(
    table(
      ['metric', 'Silo', 'noise', 'Distribution', 'noise'],
      rows.map((row) => [row.label, ...cpuCells(r.cpu(row.metric, row.silo), true), ...cpuCells(r.cpu(row.metric, row.dist), false)]),
    ),
  );

  const routeRows = rows
    .filter((row) => row.silo === 'silo' || row.silo === 'silo-proxy')
    .flatMap((row) =>
      r
        .routes(row.metric, row.silo)
        .slice(0, 6)
        .map((rt, i) => [i === 0 ? row.label : '', rt.key, String(rt.count), rt.seconds.toFixed(3)]),
    );
  if (routeRows.length) {
    out('');
    out('Silo: HTTP handling time per operation by route (medians; silo_http_request_duration_seconds, request start to response end, so nested calls overlap)');
    out(table(['metric', 'service, route', 'requests', 'seconds'], routeRows));
  }

  const noise = r.foreignShare(cpus().length);
  out('');
  const { noisy, total } = r.noisyTotal();
  out(
    `noise: other processes used ${(noise * 100).toFixed(1)}% of the machine's CPU during the timed operations; ` +
      `${noisy} of ${total} kept samples were disturbed (> ${NOISY_SHARE * 100}%; disturbed pulls and local copies are measured again, pushes cannot be)` +
      (noise > 0.05 || noisy > total / 10 ? ' — the machine was not quiet: rerun when it is before quoting these figures' : ''),
  );

  const pushRatio = ratio(r.seconds('push-large', 'silo')?.median, r.seconds('push-large', 'distribution')?.median);
  const pullRatio = ratio(r.seconds('pull-large', 'silo')?.median, r.seconds('pull-large', 'distribution')?.median);
  const verdict = (v: number | null) => (v === null ? 'n/a' : v <= TARGET_RATIO ? `${v} (meets ≤ ${TARGET_RATIO})` : `${v} (misses ≤ ${TARGET_RATIO})`);
  out('');
  out(`target (issue #3): Silo/Distribution ≤ ${TARGET_RATIO} — push-large ${verdict(pushRatio)}, pull-large ${verdict(pullRatio)}`);
  if (settings.floor) {
    const pushFloor = ratio(r.seconds('push-large', 'null-registry')?.median, r.seconds('push-large', 'distribution')?.median);
    const pullFloor = ratio(r.seconds('pull-large', 'null-registry')?.median, r.seconds('pull-large', 'distribution')?.median);
    const durablePush = ratio(r.seconds('push-large', 'null-durable')?.median, r.seconds('push-large', 'distribution')?.median);
    out(`floor (a registry that does no work)/Distribution: push-large ${pushFloor ?? 'n/a'} (${durablePush ?? 'n/a'} with fsynced blobs), pull-large ${pullFloor ?? 'n/a'} — what skopeo costs here with a server that does nothing; a target below it is out of any registry's reach on this machine`);
  }
  if (report.launcherExits.some((c) => c !== 0)) out(`warning: the Silo launcher exited with ${report.launcherExits.join(', ')} (expected 0)`);
  for (const e of cleanupErrors) out(`warning: cleanup: ${e}`);

  const side = (silo: TargetKey) => ({
    push_large_s: seconds(r.seconds('push-large', silo)),
    pull_large_s: seconds(r.seconds('pull-large', silo)),
    push_small_s: seconds(r.seconds('push-small', silo)),
    pull_small_s: seconds(r.seconds('pull-small', silo)),
  });
  const json = {
    push_ratio: pushRatio,
    pull_ratio: pullRatio,
    push_small_ratio: ratio(r.seconds('push-small', 'silo')?.median, r.seconds('push-small', 'distribution')?.median),
    pull_small_ratio: ratio(r.seconds('pull-small', 'silo')?.median, r.seconds('pull-small', 'distribution')?.median),
    silo: side('silo'),
    distribution: side('distribution'),
    silo_proxy: settings.proxy
      ? {
          pull_large_s: seconds(r.seconds('pull-large', 'silo-proxy')),
          pull_small_s: seconds(r.seconds('pull-small', 'silo-proxy')),
          distribution_pull_large_s: seconds(r.seconds('pull-large', 'distribution-rerun')),
          distribution_pull_small_s: seconds(r.seconds('pull-small', 'distribution-rerun')),
          pull_ratio: ratio(r.seconds('pull-large', 'silo-proxy')?.median, r.seconds('pull-large', 'distribution-rerun')?.median),
          pull_small_ratio: ratio(r.seconds('pull-small', 'silo-proxy')?.median, r.seconds('pull-small', 'distribution-rerun')?.median),
        }
      : null,
    skopeo_local: { copy_large_s: seconds(floorLarge), copy_small_s: seconds(floorSmall) },
    floor: settings.floor
      ? {
          ...side('null-registry'),
          push_ratio: ratio(r.seconds('push-large', 'null-registry')?.median, r.seconds('push-large', 'distribution')?.median),
          pull_ratio: ratio(r.seconds('pull-large', 'null-registry')?.median, r.seconds('pull-large', 'distribution')?.median),
          push_small_ratio: ratio(r.seconds('push-small', 'null-registry')?.median, r.seconds('push-small', 'distribution')?.median),
          pull_small_ratio: ratio(r.seconds('pull-small', 'null-registry')?.median, r.seconds('pull-small', 'distribution')?.median),
          durable: {
            push_large_s: seconds(r.seconds('push-large', 'null-durable')),
            push_small_s: seconds(r.seconds('push-small', 'null-durable')),
            push_ratio: ratio(r.seconds('push-large', 'null-durable')?.median, r.seconds('push-large', 'distribution')?.median),
            push_small_ratio: ratio(r.seconds('push-small', 'null-durable')?.median, r.seconds('push-small', 'distribution')?.median),
          },
        }
      : null,
    runs: settings.runs,
    small_runs: settings.smallRuns,
    small_images: settings.smallImages,
    concurrency: settings.concurrency,
    large_bytes: report.largeBytes,
    small_bytes: report.smallBytes,
    large_layers_mib: settings.largeLayersMiB,
    compression: settings.compression === 'none' ? 'none' : `gzip-${settings.gzipLevel}`,
    cpus: cpus().length,
    noise_cpu_share: round(noise, 3),
    noisy_samples: noisy,
    target_ratio: TARGET_RATIO,
    launcher_exit: report.launcherExits,
  };
  out(JSON.stringify(json));
}

async function main(): Promise<number> {
  const settings = loadSettings(process.env);
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping everything the benchmark started`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: Report | undefined;
  let failure: unknown;
  try {
    report = await runBenchmark(settings, cleanup);
  } catch (err) {
    failure = err;
  } finally {
    log('cleaning up');
  }
  const cleanupErrors = await cleanup.run();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (failure !== undefined || !report) {
    process.stderr.write(`bench:registry failed: ${(failure as Error)?.stack ?? String(failure)}\n`);
    for (const e of cleanupErrors) process.stderr.write(`cleanup: ${e}\n`);
    return 1;
  }
  printReport(report, cleanupErrors);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench:registry failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
