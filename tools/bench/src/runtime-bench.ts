/**
 * `npm run bench:runtime` (issue 4, point 16): the native runtime and the node agent on this host.
 *
 *   (a) `silo-runtime run` against `runc run` on the same busybox bundle running `true`, alternating;
 *   (b) through the agent with a cached image: desired-set change → task-state `running`, 100 times;
 *   (c) the memory each running container's silo-monitor adds (VmRSS, Pss);
 *   (d) 200 idle containers at once: time to all running, memory, all alive, removal, nothing left.
 *
 * Progress goes to stderr; the tables, then one JSON line (always the last line), to stdout.
 * See tools/bench/README.md.
 */
import { AgentTaskSpec, Subjects, TaskState, TaskStatus } from '@silo/contracts';
import { AgentProcess, buildOciLayout, makeTempDir, SILO_RUNTIME, skopeoCopy, SiloRegistryHandle, startSiloRegistry, TempDir } from '@silo/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringCodec, Subscription } from 'nats';
import { machineBusyCpuSeconds } from './registry/platform';
import { table } from './registry/stats';
import { makeBundles } from './runtime/bundle';
import {
  busiestProcesses,
  cgroupDirs,
  deleteAllContainers,
  machine,
  memAvailableKiB,
  mountsUnder,
  processCommand,
  processMemory,
  ProcessMemory,
  processRunning,
  readPidFile,
  removeCgroups,
  removeEmptyCgroup,
  unmountUnder,
} from './runtime/host';
import { atMost, fmt, latency, Latency, num, Verdict } from './runtime/stats';
import { Cleanup } from './cleanup';

const TARGET = {
  runtimeRatio: 0.5,
  agentP50Ms: 50,
  agentP99Ms: 150,
  monitorKiB: 1024,
};

const SILO_MONITOR = join(dirname(SILO_RUNTIME), 'silo-monitor');

interface Settings {
  runs: number;
  agentTasks: number;
  idle: number;
  parts: Set<string>;
  gapMs: number;
  stopGraceMs: number;
  quietWaitS: number;
  runc: string;
}

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = (process.env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return Number(raw);
}

function loadSettings(): Settings {
  const parts = (process.env['BENCH_PARTS'] ?? 'abcd').trim().toLowerCase();
  if (!/^[abcd]+$/.test(parts)) throw new Error(`BENCH_PARTS must be letters from "abcd", got "${parts}"`);
  return {
    runs: intEnv('BENCH_RUNS', 50),
    agentTasks: intEnv('BENCH_AGENT_TASKS', 100),
    idle: intEnv('BENCH_IDLE', 200),
    parts: new Set(parts.split('')),
    gapMs: intEnv('BENCH_GAP_MS', 25, 0),
    stopGraceMs: intEnv('BENCH_STOP_GRACE_MS', 0, 0),
    quietWaitS: intEnv('BENCH_QUIET_WAIT_S', 10, 0),
    runc: process.env['BENCH_RUNC'] ?? (existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : 'runc'),
  };
}

function log(message: string): void {
  process.stderr.write(`bench | ${message}\n`);
}

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Share of the machine's CPU capacity that was busy (everyone: us and others) since `from`. */
class BusyMeter {
  private readonly cpu = machineBusyCpuSeconds();
  private readonly started = performance.now();
  share(): number {
    const wall = (performance.now() - this.started) / 1000;
    return wall > 0 ? (machineBusyCpuSeconds() - this.cpu) / (wall * machine().cpus) : 0;
  }
}

/**
 * Waits (at most `maxSeconds`) until the machine's CPUs are less than 30 % busy over half a second,
 * so that a part does not start in the middle of someone else's build; measures anyway after that.
 */
async function awaitQuiet(maxSeconds: number, part: string): Promise<void> {
  if (maxSeconds <= 0) return;
  const deadline = performance.now() + maxSeconds * 1000;
  for (;;) {
    const meter = new BusyMeter();
    await sleep(500);
    const share = meter.share();
    if (share < 0.3) return;
    if (performance.now() > deadline) {
      log(`${part}: the machine is still ${Math.round(share * 100)} % busy after ${maxSeconds} s (other processes): measuring anyway`);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup, on every path (tasks run last-added first)


// ---------------------------------------------------------------------------------------------
// (a) silo-runtime run against runc run

type RuntimeKey = 'silo' | 'runc';
type ConfigKey = 'plain' | 'limits';

interface PartA {
  ok: boolean;
  error?: string;
  runs: number;
  runcVersion?: string;
  siloVersion?: string;
  ms: Partial<Record<`${RuntimeKey}/${ConfigKey}`, Latency>>;
  failures: Partial<Record<`${RuntimeKey}/${ConfigKey}`, { count: number; first: string }>>;
  spawnTrueMs?: Latency;
  monitorStartMs?: Latency;
  /** The agent's other spawns on its start path, alone: `silo-runtime delete --force` of an unknown id, `mount -t overlay`. */
  deleteUnknownMs?: Latency;
  mountOverlayMs?: Latency;
  busyShare: number;
}

function timedSpawn(command: string, args: string[]): { ms: number; ok: boolean; error: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const ok = result.status === 0;
  return { ms, ok, error: ok ? '' : (result.stderr || result.error?.message || `exit ${result.status ?? result.signal}`).trim().split('\n').slice(-2).join('; ') };
}

async function partA(settings: Settings, work: string, cleanup: Cleanup): Promise<PartA> {
  const report: PartA = { ok: false, runs: settings.runs, ms: {}, failures: {}, busyShare: 0 };
  const runcVersion = spawnSync(settings.runc, ['--version'], { encoding: 'utf8' });
  if (runcVersion.status !== 0) {
    report.error = `runc not available (${settings.runc}: ${runcVersion.error?.message ?? runcVersion.stderr})`;
    return report;
  }
  report.runcVersion = (runcVersion.stdout.split('\n')[0] ?? '').trim();
  if (!existsSync(SILO_RUNTIME)) {
    report.error = `${SILO_RUNTIME} is missing: build first`;
    return report;
  }
  report.siloVersion = spawnSync(SILO_RUNTIME, ['--version'], { encoding: 'utf8' }).stdout?.trim().split('\n')[0];
  const dir = join(work, 'runtime-a');
  const bundles = await makeBundles(dir, settings.runc);
  const roots: Record<RuntimeKey | 'monitor', string> = { silo: join(dir, 'root-silo'), runc: join(dir, 'root-runc'), monitor: join(dir, 'root-monitor') };
  for (const root of Object.values(roots)) await mkdir(root, { recursive: true });
  const bins: Record<RuntimeKey, string> = { silo: SILO_RUNTIME, runc: settings.runc };
  const prefix = `rb${process.pid}`;
  cleanup.add('(a) containers and cgroups', () => {
    deleteAllContainers(SILO_RUNTIME, roots.silo);
    deleteAllContainers(SILO_RUNTIME, roots.monitor);
    deleteAllContainers(settings.runc, roots.runc);
    // Default cgroupsPath is /<id>: whatever a killed run left behind.
    for (const hierarchy of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/cpu', '/sys/fs/cgroup']) {
      try {
        for (const name of readdirSync(hierarchy).filter((n) => n.startsWith(prefix))) removeCgroups(`/${name}`);
      } catch {
        // not a hierarchy here
      }
    }
  });

  let serial = 0;
  const runOnce = (runtime: RuntimeKey, config: ConfigKey, record: boolean) => {
    const id = `${prefix}-${runtime}-${config}-${serial++}`;
    const r = timedSpawn(bins[runtime], ['--root', roots[runtime], 'run', '--bundle', bundles[config], id]);
    if (!record) return;
    const key = `${runtime}/${config}` as const;
    if (!r.ok) {
      const f = (report.failures[key] ??= { count: 0, first: r.error });
      f.count += 1;
      // a failed run may leave its container: remove it now
      spawnSync(bins[runtime], ['--root', roots[runtime], 'delete', '--force', id], { stdio: 'ignore' });
      return;
    }
    samples[key].push(r.ms);
  };
  const combos: Array<[RuntimeKey, ConfigKey]> = [
    ['silo', 'plain'],
    ['runc', 'plain'],
    ['silo', 'limits'],
    ['runc', 'limits'],
  ];
  const samples: Record<`${RuntimeKey}/${ConfigKey}`, number[]> = { 'silo/plain': [], 'runc/plain': [], 'silo/limits': [], 'runc/limits': [] };

  log(`(a) warm-up: 5 runs of each runtime and config (not timed); ${report.runcVersion}`);
  for (let i = 0; i < 5; i++) for (const [rt, cfg] of combos) runOnce(rt, cfg, false);
  await awaitQuiet(settings.quietWaitS, '(a)');
  log(`(a) ${settings.runs} runs of each, alternating (order rotated each round)`);
  const busy = new BusyMeter();
  for (let i = 0; i < settings.runs; i++) {
    // rotate: silo first in even rounds, runc first in odd ones; the configs alternate as well
    const order = i % 2 === 0 ? combos : [combos[1]!, combos[0]!, combos[3]!, combos[2]!];
    for (const [rt, cfg] of i % 4 < 2 ? order : [...order.slice(2), ...order.slice(0, 2)]) runOnce(rt, cfg, true);
    if ((i + 1) % 10 === 0) log(`  ${i + 1}/${settings.runs}`);
  }
  report.busyShare = busy.share();
  for (const [key, values] of Object.entries(samples)) if (values.length) report.ms[key as keyof typeof samples] = latency(values);

  // References: Node's own spawn + exit of /bin/true (in every figure above), and silo-monitor
  // starting a container the way the agent does (monitor → silo-runtime run -d, until the pid is printed).
  const spawnTrue: number[] = [];
  for (let i = 0; i < settings.runs; i++) spawnTrue.push(timedSpawn('/bin/true', []).ms);
  report.spawnTrueMs = latency(spawnTrue);
  const monitorRuns = Math.max(5, Math.round(settings.runs / 2));
  const monitorMs: number[] = [];
  const monDir = join(dir, 'monitor');
  await mkdir(monDir, { recursive: true });
  for (let i = 0; i < monitorRuns + 2; i++) {
    const id = `${prefix}-mon-${i}`;
    const r = timedSpawn(SILO_MONITOR, [
      '--runtime', SILO_RUNTIME, '--runtime-root', roots.monitor, '--bundle', bundles.sleep, '--id', id,
      '--log-file', join(monDir, `${id}.log`), '--exit-file', join(monDir, `${id}.exit`), '--pid-file', join(monDir, `${id}.pid`),
    ]);
    spawnSync(SILO_RUNTIME, ['--root', roots.monitor, 'delete', '--force', id], { stdio: 'ignore' });
    if (i >= 2 && r.ok) monitorMs.push(r.ms);
    if (!r.ok) log(`  silo-monitor failed: ${r.error}`);
  }
  report.monitorStartMs = latency(monitorMs);
  const deleteMs: number[] = [];
  const mountMs: number[] = [];
  const ovl = join(dir, 'overlay');
  for (let i = 0; i < monitorRuns; i++) {
    deleteMs.push(timedSpawn(SILO_RUNTIME, ['--root', roots.monitor, 'delete', '--force', `${prefix}-none-${i}`]).ms);
    const [upper, workDir, target] = ['upper', 'work', 'mnt'].map((d) => join(ovl, `${d}-${i}`)) as [string, string, string];
    for (const d of [upper, workDir, target]) await mkdir(d, { recursive: true });
    const r = timedSpawn('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${bundles.rootfs},upperdir=${upper},workdir=${workDir}`, target]);
    if (r.ok) mountMs.push(r.ms);
    spawnSync('umount', [target], { stdio: 'ignore' });
  }
  cleanup.add('(a) overlay mounts', () => unmountUnder([ovl]));
  report.deleteUnknownMs = latency(deleteMs);
  report.mountOverlayMs = latency(mountMs);
  report.ok = Object.keys(report.failures).length === 0;
  if (!report.ok) report.error = Object.entries(report.failures).map(([k, f]) => `${k}: ${f.count} failed (${f.first})`).join('; ');
  return report;
}

// ---------------------------------------------------------------------------------------------
// The agent: (b), (c), (d)

const codec = StringCodec();

/** Task-state events as they arrive, with the time of receipt of each task's first event of each state. */
class EventClock {
  readonly first = new Map<string, Partial<Record<TaskState, number>>>();
  readonly reasons = new Map<string, string>();
  private readonly waiters = new Set<() => void>();

  onStatus(status: TaskStatus): void {
    const now = performance.now();
    const seen = this.first.get(status.taskId) ?? {};
    seen[status.state] ??= now;
    this.first.set(status.taskId, seen);
    if (status.state === 'failed' && status.reason) this.reasons.set(status.taskId, status.reason);
    for (const wake of [...this.waiters]) wake();
  }

  time(taskId: string, state: TaskState): number | undefined {
    return this.first.get(taskId)?.[state];
  }

  /** Resolves once `done()` is true (checked on each event, and every 250 ms); rejects on timeout. */
  until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const poll = setInterval(check, 250);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.waiters.add(check);
    });
  }
}

interface MemoryFigures {
  count: number;
  rssKiBMean: number;
  rssKiBMax: number;
  pssKiBMean: number;
  pssKiBMax: number;
  privateKiBMean: number;
  pssKiBSum: number;
  rssKiBSum: number;
}

function memoryFigures(list: ProcessMemory[]): MemoryFigures {
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);
  const rss = list.map((m) => m.rssKiB);
  const pss = list.flatMap((m) => (m.pssKiB !== undefined ? [m.pssKiB] : []));
  const priv = list.flatMap((m) => (m.privateKiB !== undefined ? [m.privateKiB] : []));
  return {
    count: list.length,
    rssKiBMean: mean(rss),
    rssKiBMax: rss.length ? Math.max(...rss) : Number.NaN,
    pssKiBMean: mean(pss),
    pssKiBMax: pss.length ? Math.max(...pss) : Number.NaN,
    privateKiBMean: mean(priv),
    pssKiBSum: pss.reduce((a, b) => a + b, 0),
    rssKiBSum: rss.reduce((a, b) => a + b, 0),
  };
}

interface PartB {
  ok: boolean;
  error?: string;
  tasks: number;
  startMs?: Latency;
  /** ms: sending tasks.set → its reply; → `pulling` (queued, supervisor begins); `pulling` → `starting` (cached image resolved); `starting` → `running`. */
  phases?: { reply: Latency; queued: Latency; image: Latency; start: Latency };
  removeAllS?: number;
  busyShare: number;
}

interface PartC {
  ok: boolean;
  error?: string;
  memory?: MemoryFigures;
}

interface PartD {
  ok: boolean;
  error?: string;
  containers: number;
  allRunningS?: number;
  firstRunningS?: number;
  perTaskMs?: Latency;
  failed: number;
  alive?: number;
  monitorsAlive?: number;
  monitorMemory?: MemoryFigures;
  agentRssBeforeKiB?: number;
  agentRssAfterKiB?: number;
  memAvailableDropKiB?: number;
  removeS?: number;
  leftovers?: { cgroups: number; mounts: number; runtimeState: number; containerDirs: number; monitorsAlive: number };
  busyShare: number;
}

interface AgentReport {
  b?: PartB;
  c?: PartC;
  d?: PartD;
  setupError?: string;
  setupS?: number;
}

async function runAgentParts(settings: Settings, work: string, cleanup: Cleanup): Promise<AgentReport> {
  const report: AgentReport = {};
  const suffix = `${process.pid % 10_000}`;
  const nodeId = `bench-rt-${suffix}`;
  const bridge = `silob${suffix}`;
  const subnet = `10.${150 + (process.pid % 50)}.${process.pid % 250}.0/24`;
  const chains = `SILOB${suffix}`;
  const runDir = join(work, 'run');
  const cgroupParent = `/silo/${nodeId}`;
  const setupStarted = performance.now();

  let registry: SiloRegistryHandle | undefined;
  let agent: AgentProcess | undefined;
  let subscription: Subscription | undefined;
  let home = '';
  cleanup.add('stop the registry', () => registry?.stop());
  cleanup.add('sweep containers, mounts, cgroups and run dirs', async () => {
    if (!home) return;
    const runtimeRoot = join(home, 'node-agent/runtime');
    const left = deleteAllContainers(SILO_RUNTIME, runtimeRoot);
    // A monitor the agent spawned just before it stopped may still be creating its container.
    await sleep(300);
    left.push(...deleteAllContainers(SILO_RUNTIME, runtimeRoot));
    if (left.length) log(`cleanup: deleted ${left.length} container(s) the agent left`);
    // Monitors whose container is gone exit by themselves; wait a little for them.
    const containers = join(home, 'node-agent/containers');
    for (let i = 0; i < 50; i++) {
      const alive = existsSync(containers) ? readdirSync(containers).filter((id) => processRunning(readPidFile(join(containers, id, 'monitor.pid')))) : [];
      if (!alive.length) break;
      await sleep(100);
    }
    const unmounted = unmountUnder([home, runDir, `/run/silo/${nodeId}`]);
    if (unmounted) log(`cleanup: unmounted ${unmounted} mount(s)`);
    const cgroups = removeCgroups(cgroupParent);
    removeEmptyCgroup('/silo');
    if (cgroups && left.length) log(`cleanup: removed ${cgroups} cgroup dir(s)`);
    await rm(`/run/silo/${nodeId}`, { recursive: true, force: true });
    await rmdir('/run/silo').catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    if (spawnSync('ip', ['link', 'show', 'dev', bridge], { stdio: 'ignore' }).status === 0) {
      log(`cleanup: removing the bridge ${bridge} (unexpected with network none)`);
      spawnSync('ip', ['link', 'del', 'dev', bridge], { stdio: 'ignore' });
    }
  });
  cleanup.add('stop the agent (removing its tasks first)', async () => {
    if (!agent) return;
    if (!cleanup.interrupted && agent.child && agent.child.exitCode === null && agent.child.signalCode === null) {
      try {
        await agent.apply([]);
        const deadline = performance.now() + 120_000;
        while (performance.now() < deadline && (await agent.list()).length > 0) await sleep(200);
      } catch (err) {
        log(`cleanup: the agent did not remove its tasks (${errorText(err)}): sweeping by hand`);
      }
    }
    subscription?.unsubscribe();
    await agent.close();
  });

  try {
    log('(b) starting nats, the layer store and the registry (dist/)');
    registry = await startSiloRegistry();
    home = registry.home;
    const built = await buildOciLayout(join(work, 'image'), { tag: 'v1', layers: [{ busybox: true }], config: { Cmd: ['/bin/sleep', '100000'] } });
    const image = `${registry.host}/bench/busybox:v1`;
    await skopeoCopy(built.skopeoRef, image, { destCreds: registry.creds, preserveDigests: true });
    log(`(b) pushed ${image}; starting the agent (node ${nodeId}, run dir ${runDir})`);
    await mkdir(runDir, { recursive: true });
    agent = new AgentProcess({
      home,
      natsUrl: registry.natsUrl,
      registryUrl: registry.url,
      nodeId,
      bridge,
      subnet,
      env: { SILO_NETWORK_CHAIN_PREFIX: chains, SILO_RUN_DIR: runDir, SILO_HEARTBEAT_INTERVAL_MS: '1000', SILO_LOG_LEVEL: 'warn' },
    });
    await agent.start();
    const clock = new EventClock();
    subscription = agent.nc!.subscribe(Subjects.taskStateEvent, {
      callback: (_err, msg) => {
        try {
          const status = (JSON.parse(codec.decode(msg.data)) as { data: TaskStatus }).data;
          if (status.nodeId === nodeId) clock.onStatus(status);
        } catch {
          // not ours
        }
      },
    });
    await agent.nc!.flush();
    const task = (taskId: string): AgentTaskSpec => ({ taskId, image, network: 'none', command: ['/bin/sleep', '100000'], stopGracePeriodMs: settings.stopGraceMs });
    const gone = (taskId: string) => clock.time(taskId, 'removed') !== undefined;
    const runningOrFailed = (taskId: string) => clock.time(taskId, 'running') !== undefined || clock.time(taskId, 'failed') !== undefined;

    // Warm the image cache (pull + unpack) with one task, not timed.
    await agent.apply([task('warm')]);
    await clock.until(() => runningOrFailed('warm'), 120_000, 'the warm-up task to run');
    if (clock.time('warm', 'failed') !== undefined) throw new Error(`the warm-up task failed: ${clock.reasons.get('warm')}`);
    report.setupS = (performance.now() - setupStarted) / 1000;
    log(`(b) image cached, warm-up task running (${report.setupS.toFixed(1)} s of setup)`);

    // ---- (b) one more task at a time
    if (settings.parts.has('b') || settings.parts.has('c')) {
      const b: PartB = { ok: false, tasks: settings.agentTasks, busyShare: 0 };
      report.b = b;
      const desired = [task('warm')];
      const totals: number[] = [];
      const phases = { reply: [] as number[], queued: [] as number[], image: [] as number[], start: [] as number[] };
      await awaitQuiet(settings.quietWaitS, '(b)');
      const busy = new BusyMeter();
      try {
        for (let i = 1; i <= settings.agentTasks; i++) {
          const id = `b-${String(i).padStart(3, '0')}`;
          desired.push(task(id));
          const sent = performance.now();
          await agent.apply(desired);
          phases.reply.push(performance.now() - sent);
          await clock.until(() => runningOrFailed(id), 60_000, `task ${id} to run`);
          if (clock.time(id, 'failed') !== undefined) throw new Error(`task ${id} failed: ${clock.reasons.get(id)}`);
          const at = (s: TaskState) => (clock.time(id, s) ?? Number.NaN) - sent;
          totals.push(at('running'));
          phases.queued.push(at('pulling'));
          phases.image.push(at('starting') - at('pulling'));
          phases.start.push(at('running') - at('starting'));
          if (i % 20 === 0) log(`  (b) ${i}/${settings.agentTasks}: last ${at('running').toFixed(1)} ms`);
          if (settings.gapMs) await sleep(settings.gapMs);
        }
        b.ok = true;
      } catch (err) {
        b.error = errorText(err);
        log(`(b) failed: ${b.error}`);
      }
      b.busyShare = busy.share();
      b.startMs = latency(totals);
      const finite = (v: number[]) => latency(v.filter(Number.isFinite));
      b.phases = { reply: finite(phases.reply), queued: finite(phases.queued), image: finite(phases.image), start: finite(phases.start) };

      // ---- (c) the monitors of the running containers
      if (settings.parts.has('c')) {
        const c: PartC = { ok: false };
        report.c = c;
        const list = await agent.list();
        const pids = list.filter((s) => s.state === 'running').map((s) => readPidFile(join(home, 'node-agent/containers', s.taskId, 'monitor.pid')));
        const mems = pids.flatMap((pid) => {
          const m = pid ? processMemory(pid) : undefined;
          return m && /silo-monitor/.test(processCommand(m.pid)) ? [m] : [];
        });
        if (mems.length) {
          c.memory = memoryFigures(mems);
          c.ok = true;
        } else c.error = 'no silo-monitor process found';
        log(`(c) ${mems.length} monitors: VmRSS mean ${fmt(c.memory?.rssKiBMean, 0)} KiB, Pss mean ${fmt(c.memory?.pssKiBMean, 0)} KiB`);
      }

      log(`(b) removing all ${desired.length} tasks`);
      const removeStarted = performance.now();
      await agent.apply([]);
      await clock.until(() => desired.every((t) => gone(t.taskId)), 180_000, 'every task removed');
      b.removeAllS = (performance.now() - removeStarted) / 1000;
    }

    // ---- (d) many idle containers at once
    if (settings.parts.has('d')) {
      const n = settings.idle;
      const d: PartD = { ok: false, containers: n, failed: 0, busyShare: 0 };
      report.d = d;
      const ids = Array.from({ length: n }, (_, i) => `idle-${String(i).padStart(3, '0')}`);
      try {
        // Start from no task at all (the warm-up task too is gone unless (b) did not run).
        await agent.apply([]);
        await clock.until(() => !clock.time('warm', 'running') || gone('warm'), 60_000, 'the warm-up task removed');
        await sleep(1000);
        const agentPid = agent.child?.pid;
        d.agentRssBeforeKiB = agentPid ? processMemory(agentPid)?.rssKiB : undefined;
        const availBefore = memAvailableKiB();
        await awaitQuiet(settings.quietWaitS, '(d)');
        log(`(d) one desired set with ${n} idle containers`);
        const busy = new BusyMeter();
        const sent = performance.now();
        await agent.apply(ids.map(task));
        await clock.until(() => ids.every(runningOrFailed), 600_000, `all ${n} tasks to run`);
        d.allRunningS = (performance.now() - sent) / 1000;
        d.busyShare = busy.share();
        const times = ids.flatMap((id) => (clock.time(id, 'running') !== undefined ? [clock.time(id, 'running')! - sent] : []));
        d.failed = ids.filter((id) => clock.time(id, 'failed') !== undefined).length;
        d.firstRunningS = times.length ? Math.min(...times) / 1000 : undefined;
        d.perTaskMs = latency(times);
        log(`(d) all ${n} reported in ${d.allRunningS.toFixed(2)} s (${d.failed} failed); letting the agent settle 2 s`);
        await sleep(2000);
        const statuses = (await agent.list()).filter((s) => ids.includes(s.taskId));
        d.alive = statuses.filter((s) => s.state === 'running' && processRunning(s.pid) && /sleep/.test(processCommand(s.pid!))).length;
        const monitors = ids.flatMap((id) => {
          const pid = readPidFile(join(home, 'node-agent/containers', id, 'monitor.pid'));
          const m = pid && processRunning(pid) ? processMemory(pid) : undefined;
          return m ? [m] : [];
        });
        d.monitorsAlive = monitors.length;
        d.monitorMemory = memoryFigures(monitors);
        d.agentRssAfterKiB = agentPid ? processMemory(agentPid)?.rssKiB : undefined;
        const availAfter = memAvailableKiB();
        if (availBefore !== undefined && availAfter !== undefined) d.memAvailableDropKiB = availBefore - availAfter;
        log(`(d) ${d.alive}/${n} container processes alive, ${d.monitorsAlive} monitors; removing them all`);

        const removeStarted = performance.now();
        await agent.apply([]);
        await clock.until(() => ids.every(gone), 600_000, `all ${n} tasks removed`);
        d.removeS = (performance.now() - removeStarted) / 1000;
        await sleep(500);
        const containersDir = join(home, 'node-agent/containers');
        const runtimeRoot = join(home, 'node-agent/runtime');
        d.leftovers = {
          cgroups: cgroupDirs(cgroupParent).filter((dir) => !dir.endsWith(cgroupParent)).length,
          mounts: mountsUnder([join(home, 'node-agent'), runDir]).length,
          runtimeState: existsSync(runtimeRoot) ? readdirSync(runtimeRoot).length : 0,
          containerDirs: existsSync(containersDir) ? readdirSync(containersDir).length : 0,
          monitorsAlive: monitors.filter((m) => processRunning(m.pid)).length,
        };
        log(`(d) removed in ${d.removeS.toFixed(2)} s; left: ${JSON.stringify(d.leftovers)}`);
        d.ok = d.failed === 0 && d.alive === n && Object.values(d.leftovers).every((v) => v === 0);
        if (!d.ok) d.error = `failed ${d.failed}, alive ${d.alive}/${n}, leftovers ${JSON.stringify(d.leftovers)}`;
      } catch (err) {
        d.error = errorText(err);
        log(`(d) failed: ${d.error}`);
      }
    }
  } catch (err) {
    report.setupError = errorText(err);
    log(`agent setup failed: ${report.setupError}`);
    if (agent?.output) log(`agent output (last 2000 characters):\n${agent.output.slice(-2000)}`);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(settings: Settings, a: PartA | undefined, agent: AgentReport | undefined, context: { others: string[]; startedAt: string; totalS: number }, cleanupErrors: string[]): void {
  const m = machine();
  const pct = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)} %`);
  out(`# bench:runtime — ${context.startedAt}, ${m.cpus} × ${m.cpuModel}, kernel ${m.kernel}, load ${m.loadAvg.join(' ')}`);
  if (context.others.length) out(`other busy processes at the start: ${context.others.join(', ')}`);
  out();

  const ratio = (x?: number, y?: number) => (x !== undefined && y !== undefined && y > 0 ? x / y : undefined);
  let runtimeRatio: number | undefined;
  if (a) {
    out(`## (a) run of a busybox bundle running \`true\`: silo-runtime vs runc (${a.runs} runs each, alternating; machine ${pct(a.busyShare)} busy)`);
    if (a.error) out(`problem: ${a.error}`);
    const rows: string[][] = [];
    for (const cfg of ['plain', 'limits'] as const) {
      const s = a.ms[`silo/${cfg}`];
      const r = a.ms[`runc/${cfg}`];
      const label = cfg === 'plain' ? '`runc spec` defaults (6 namespaces, cgroup /<id>)' : '+ memory, pids, cpu limits';
      const p50Ratio = ratio(s?.p50, r?.p50);
      if (cfg === 'plain') runtimeRatio = p50Ratio;
      rows.push([label, 'silo-runtime run', fmt(s?.p50), fmt(s?.p90), `${fmt(s?.min)}–${fmt(s?.max)}`, '', '']);
      rows.push(['', 'runc run', fmt(r?.p50), fmt(r?.p90), `${fmt(r?.min)}–${fmt(r?.max)}`, '', '']);
      rows.push(['', 'ratio silo/runc', fmt(p50Ratio, 3), fmt(ratio(s?.p90, r?.p90), 3), '', `≤ ${TARGET.runtimeRatio}`, atMost(p50Ratio, TARGET.runtimeRatio)]);
    }
    rows.push(['reference', 'spawn + exit of /bin/true (in every figure)', fmt(a.spawnTrueMs?.p50, 2), fmt(a.spawnTrueMs?.p90, 2), `${fmt(a.spawnTrueMs?.min, 2)}–${fmt(a.spawnTrueMs?.max, 2)}`, '', '']);
    rows.push(['agent path', '`mount -t overlay` (util-linux, spawned)', fmt(a.mountOverlayMs?.p50), fmt(a.mountOverlayMs?.p90), `${fmt(a.mountOverlayMs?.min)}–${fmt(a.mountOverlayMs?.max)}`, '', '']);
    rows.push(['agent path', '`silo-runtime delete --force` of an unknown id', fmt(a.deleteUnknownMs?.p50), fmt(a.deleteUnknownMs?.p90), `${fmt(a.deleteUnknownMs?.min)}–${fmt(a.deleteUnknownMs?.max)}`, '', '']);
    rows.push(['agent path', 'silo-monitor start (run -d of `sleep`, to pid)', fmt(a.monitorStartMs?.p50), fmt(a.monitorStartMs?.p90), `${fmt(a.monitorStartMs?.min)}–${fmt(a.monitorStartMs?.max)}`, '', '']);
    out(table(['config.json', 'command', 'p50 ms', 'p90 ms', 'min–max ms', 'target', 'verdict'], rows));
    out(`versions: ${a.siloVersion ?? '?'}; ${a.runcVersion ?? 'runc missing'}`);
    out();
  }

  const b = agent?.b;
  const c = agent?.c;
  const d = agent?.d;
  if (agent?.setupError) {
    out(`## (b)–(d) through the agent: setup failed: ${agent.setupError}`);
    out();
  }
  if (b) {
    out(`## (b) through the agent, cached image: tasks.set → task-state \`running\` (${b.startMs?.n ?? 0}/${b.tasks} tasks, one more each time; machine ${pct(b.busyShare)} busy)`);
    if (b.error) out(`problem: ${b.error}`);
    const v = (x?: Latency) => [fmt(x?.p50), fmt(x?.p90), fmt(x?.p99), `${fmt(x?.min)}–${fmt(x?.max)}`];
    out(
      table(
        ['measure', 'p50 ms', 'p90 ms', 'p99 ms', 'min–max ms', 'target', 'verdict'],
        [
          ['set → running', ...v(b.startMs), `p50 ≤ ${TARGET.agentP50Ms}, p99 ≤ ${TARGET.agentP99Ms}`, worst(atMost(b.startMs?.p50, TARGET.agentP50Ms), atMost(b.startMs?.p99, TARGET.agentP99Ms))],
          ['  set → reply of tasks.set', ...v(b.phases?.reply), '', ''],
          ['  set → `pulling` (queued, supervisor begins)', ...v(b.phases?.queued), '', ''],
          ['  `pulling` → `starting` (cached image resolved)', ...v(b.phases?.image), '', ''],
          ['  `starting` → `running` (rootfs, config.json, monitor + runtime)', ...v(b.phases?.start), '', ''],
        ],
      ),
    );
    out(`removal of all ${b.tasks + 1} tasks (one empty set): ${fmt(b.removeAllS, 2)} s`);
    out();
  }
  if (c) {
    out(`## (c) memory per running container: its silo-monitor (${c.memory?.count ?? 0} monitors)`);
    if (c.error) out(`problem: ${c.error}`);
    const mem = c.memory;
    out(
      table(
        ['measure', 'mean KiB', 'max KiB', 'target', 'verdict'],
        [
          ['VmRSS', fmt(mem?.rssKiBMean, 0), fmt(mem?.rssKiBMax, 0), `≤ ${TARGET.monitorKiB}`, atMost(mem?.rssKiBMax, TARGET.monitorKiB)],
          ['Pss (static binary pages shared)', fmt(mem?.pssKiBMean, 0), fmt(mem?.pssKiBMax, 0), `≤ ${TARGET.monitorKiB}`, atMost(mem?.pssKiBMax, TARGET.monitorKiB)],
          ['private (clean + dirty)', fmt(mem?.privateKiBMean, 0), '', '', ''],
        ],
      ),
    );
    out();
  }
  if (d) {
    out(`## (d) ${d.containers} idle containers at once (network none, \`sleep 100000\`; machine ${pct(d.busyShare)} busy while starting)`);
    if (d.error) out(`problem: ${d.error}`);
    const agentGrowth = d.agentRssAfterKiB !== undefined && d.agentRssBeforeKiB !== undefined ? d.agentRssAfterKiB - d.agentRssBeforeKiB : undefined;
    const used = d.monitorMemory && agentGrowth !== undefined ? d.monitorMemory.pssKiBSum + agentGrowth : undefined;
    const leftovers = d.leftovers ? Object.values(d.leftovers).reduce((x, y) => x + y, 0) : undefined;
    out(
      table(
        ['measure', 'value', 'verdict'],
        [
          ['one set → all running', `${fmt(d.allRunningS, 2)} s (first after ${fmt(d.firstRunningS, 3)} s; per task p50 ${fmt(d.perTaskMs?.p50, 0)} ms, p99 ${fmt(d.perTaskMs?.p99, 0)} ms)`, d.allRunningS !== undefined ? 'pass' : 'FAIL'],
          ['failed', String(d.failed), d.failed === 0 ? 'pass' : 'FAIL'],
          ['container processes alive (pid running `sleep`)', `${d.alive ?? '–'} / ${d.containers}`, d.alive === d.containers ? 'pass' : 'FAIL'],
          ['monitors alive', `${d.monitorsAlive ?? '–'} / ${d.containers}`, d.monitorsAlive === d.containers ? 'pass' : 'FAIL'],
          ['monitors: Pss sum (VmRSS sum)', `${fmt((d.monitorMemory?.pssKiBSum ?? Number.NaN) / 1024, 1)} MiB (${fmt((d.monitorMemory?.rssKiBSum ?? Number.NaN) / 1024, 1)} MiB); per monitor Pss ${fmt(d.monitorMemory?.pssKiBMean, 0)} KiB`, ''],
          ['agent RSS growth', `${fmt((agentGrowth ?? Number.NaN) / 1024, 1)} MiB (${fmt((d.agentRssBeforeKiB ?? Number.NaN) / 1024, 0)} → ${fmt((d.agentRssAfterKiB ?? Number.NaN) / 1024, 0)} MiB)`, ''],
          ['memory used: monitors Pss + agent growth', `${fmt((used ?? Number.NaN) / 1024, 1)} MiB = ${fmt((used ?? Number.NaN) / d.containers, 0)} KiB per container`, ''],
          ['MemAvailable drop (everything: + sleeps, kernel, page cache)', `${fmt((d.memAvailableDropKiB ?? Number.NaN) / 1024, 1)} MiB`, ''],
          ['one empty set → all removed', `${fmt(d.removeS, 2)} s`, d.removeS !== undefined ? 'pass' : 'FAIL'],
          ['left behind (cgroups, mounts, runtime state, dirs, monitors)', d.leftovers ? JSON.stringify(d.leftovers) : '–', leftovers === 0 ? 'pass' : 'FAIL'],
        ],
      ),
    );
    out();
  }
  if (cleanupErrors.length) out(`cleanup problems: ${cleanupErrors.join('; ')}`);
  out(`total ${context.totalS.toFixed(0)} s`);

  const agentGrowth = d?.agentRssAfterKiB !== undefined && d?.agentRssBeforeKiB !== undefined ? d.agentRssAfterKiB - d.agentRssBeforeKiB : undefined;
  const json = {
    runtime_ratio: num(runtimeRatio, 3),
    silo_run_ms_p50: num(a?.ms['silo/plain']?.p50),
    silo_run_ms_p90: num(a?.ms['silo/plain']?.p90),
    runc_run_ms_p50: num(a?.ms['runc/plain']?.p50),
    runc_run_ms_p90: num(a?.ms['runc/plain']?.p90),
    runtime_ratio_limits: num(ratio(a?.ms['silo/limits']?.p50, a?.ms['runc/limits']?.p50), 3),
    silo_run_limits_ms_p50: num(a?.ms['silo/limits']?.p50),
    runc_run_limits_ms_p50: num(a?.ms['runc/limits']?.p50),
    spawn_true_ms_p50: num(a?.spawnTrueMs?.p50, 3),
    monitor_start_ms_p50: num(a?.monitorStartMs?.p50),
    mount_overlay_ms_p50: num(a?.mountOverlayMs?.p50),
    delete_unknown_ms_p50: num(a?.deleteUnknownMs?.p50),
    agent_start_ms_p50: num(b?.startMs?.p50),
    agent_start_ms_p90: num(b?.startMs?.p90),
    agent_start_ms_p99: num(b?.startMs?.p99),
    agent_start_ms_max: num(b?.startMs?.max),
    agent_queued_ms_p50: num(b?.phases?.queued.p50),
    agent_image_ms_p50: num(b?.phases?.image.p50),
    agent_starting_to_running_ms_p50: num(b?.phases?.start.p50),
    agent_tasks: b?.startMs?.n ?? null,
    agent_remove_all_s: num(b?.removeAllS),
    monitor_rss_kib_mean: num(c?.memory?.rssKiBMean, 0),
    monitor_rss_kib_max: num(c?.memory?.rssKiBMax, 0),
    monitor_pss_kib_mean: num(c?.memory?.pssKiBMean, 0),
    monitor_pss_kib_max: num(c?.memory?.pssKiBMax, 0),
    idle_containers: d?.containers ?? null,
    idle_200_all_running_s: num(d?.allRunningS),
    idle_failed: d?.failed ?? null,
    idle_alive: d?.alive ?? null,
    idle_monitor_pss_mib_sum: num(d?.monitorMemory ? d.monitorMemory.pssKiBSum / 1024 : undefined),
    idle_agent_rss_growth_mib: num(agentGrowth !== undefined ? agentGrowth / 1024 : undefined),
    idle_mem_available_drop_mib: num(d?.memAvailableDropKiB !== undefined ? d.memAvailableDropKiB / 1024 : undefined),
    idle_remove_s: num(d?.removeS),
    idle_leftovers: d?.leftovers ?? null,
    targets: { runtime_ratio: TARGET.runtimeRatio, agent_start_ms_p50: TARGET.agentP50Ms, agent_start_ms_p99: TARGET.agentP99Ms, monitor_rss_kib: TARGET.monitorKiB },
    verdicts: {
      runtime_ratio: atMost(runtimeRatio, TARGET.runtimeRatio),
      agent_start_ms_p50: atMost(b?.startMs?.p50, TARGET.agentP50Ms),
      agent_start_ms_p99: atMost(b?.startMs?.p99, TARGET.agentP99Ms),
      monitor_rss_kib: atMost(c?.memory?.rssKiBMax, TARGET.monitorKiB),
      idle: d ? (d.ok ? 'pass' : 'FAIL') : 'n/a',
    },
    errors: [a?.error, agent?.setupError, b?.error, c?.error, d?.error, ...cleanupErrors].filter(Boolean),
    runs: settings.runs,
    busy_share: { a: num(a?.busyShare), b: num(b?.busyShare), d: num(d?.busyShare) },
    cpus: m.cpus,
    load_avg: m.loadAvg,
    total_s: num(context.totalS, 1),
  };
  out(JSON.stringify(json));
}

function worst(...verdicts: Verdict[]): Verdict {
  if (verdicts.includes('FAIL')) return 'FAIL';
  if (verdicts.includes('n/a')) return 'n/a';
  return 'pass';
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const settings = loadSettings();
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  if (process.getuid?.() !== 0) log('warning: not root; containers need root');
  const others = busiestProcesses(new Set([process.pid, process.ppid]));
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    cleanup.interrupted = true;
    log(`${signal}: removing everything the benchmark made`);
    void cleanup.run().then((errors) => {
      for (const e of errors) process.stderr.write(`cleanup: ${e}\n`);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let work: TempDir | undefined;
  let a: PartA | undefined;
  let agent: AgentReport | undefined;
  let failure: unknown;
  try {
    work = await makeTempDir('silo-bench-runtime-');
    const workDir = work;
    cleanup.add('remove the work dir', () => workDir.cleanup());
    if (settings.parts.has('a')) {
      try {
        a = await partA(settings, work.path, cleanup);
      } catch (err) {
        a = { ok: false, error: errorText(err), runs: settings.runs, ms: {}, failures: {}, busyShare: 0 };
      }
      log(`(a) silo p50 ${fmt(a.ms['silo/plain']?.p50)} ms, runc p50 ${fmt(a.ms['runc/plain']?.p50)} ms${a.error ? ` (${a.error})` : ''}`);
    }
    if (settings.parts.has('b') || settings.parts.has('c') || settings.parts.has('d')) agent = await runAgentParts(settings, work.path, cleanup);
  } catch (err) {
    failure = err;
  }
  log('cleaning up');
  const cleanupErrors = await cleanup.run();
  if (interrupted) return 130;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (failure !== undefined) {
    process.stderr.write(`bench:runtime failed: ${(failure as Error)?.stack ?? String(failure)}\n`);
    for (const e of cleanupErrors) process.stderr.write(`cleanup: ${e}\n`);
    return 1;
  }
  printReport(settings, a, agent, { others, startedAt, totalS: (performance.now() - t0) / 1000 }, cleanupErrors);
  // A part that could not run at all (setup) or cleanup that failed is a real error; missed targets are not.
  return agent?.setupError || cleanupErrors.length ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench:runtime failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
