/**
 * `npm run bench:scheduler` (issue 5, benchmarks 10(a)–(c)):
 *  (a) the placement engine alone — runs dist/tools/bench/src/placement-bench.js and takes its JSON;
 *  (b) deploy at scale — a real nats-server (JetStream) and the real scheduler (dist/apps/scheduler)
 *      with 1,000 simulated agents (tools/cluster-sim); services totalling 10,000 replicas are
 *      created over NATS; timed until all are reported running;
 *  (c) failover — 20 simulated agents, default scheduler settings; one node is killed; timed until
 *      all its replicas run elsewhere.
 * See tools/bench/README.md.
 *
 * Progress goes to stderr; the results (tables, then one JSON line, always the last line) to stdout.
 */
import { ServiceListReply, ServiceReply, ServiceSpec, ServiceTasksReply, Subjects } from '@silo/contracts';
import { makeTempDir, natsRequest, NatsServerHandle, startNatsServer, stopProcess, TempDir, track } from '@silo/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, NatsConnection, StringCodec } from 'nats';
// The simulator is a tool of its own (tools/cluster-sim); the benchmark drives it in-process.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SimulatedClusterHandle, startSimulatedCluster } from '../../cluster-sim/src/simulator';
import { machineBusyCpuSeconds, processCpuSeconds, workspaceRoot } from './registry/platform';
import { intSetting, median, round, table } from './registry/stats';
import { Cleanup } from './cleanup';

const ROOT = workspaceRoot();
const PLACEMENT_BENCH = join(ROOT, 'dist/tools/bench/src/placement-bench.js');
const SCHEDULER_MAIN = join(ROOT, 'dist/apps/scheduler/src/main.js');
const MiB = 1024 * 1024;
const codec = StringCodec();

const DEPLOY_TARGET_TASKS_PER_S = 2000;
const DEPLOY_ANCHORS = { 'kube-scheduler, real 5,000-node cluster': 100, 'kube-scheduler, its simulated benchmark': 810, 'Nomad C1M': 3750 } as const;
const FAILOVER_TARGET_S = 5;
const FAILOVER_ANCHORS = { 'Docker Swarm (defaults)': 15, 'Kubernetes (defaults: 40 s node-monitor grace + 300 s eviction)': 340 } as const;

interface Settings {
  placement: boolean;
  deploy: boolean;
  failover: boolean;
  nodes: number;
  services: number;
  replicas: number;
  createConcurrency: number;
  /** Also deploy the same number of tasks as one service (the pipeline without the API's share). */
  oneService: boolean;
  heartbeatMs: number;
  pullMs: number;
  startMs: number;
  stopMs: number;
  timeoutS: number;
  failoverNodes: number;
  failoverServices: number;
  failoverReplicas: number;
  failoverRuns: number;
  readyTimeoutS: number;
}

function loadSettings(env: Record<string, string | undefined>): Settings {
  const parts = (env['BENCH_PARTS'] ?? 'a,b,c').split(',').map((s) => s.trim());
  return {
    placement: parts.includes('a'),
    deploy: parts.includes('b'),
    failover: parts.includes('c'),
    nodes: intSetting(env, 'BENCH_SIM_NODES', 1000),
    services: intSetting(env, 'BENCH_SIM_SERVICES', 100),
    replicas: intSetting(env, 'BENCH_SIM_REPLICAS', 100),
    createConcurrency: intSetting(env, 'BENCH_SIM_CREATE_CONCURRENCY', 1),
    oneService: (env['BENCH_SIM_ONE_SERVICE'] ?? '1') !== '0',
    heartbeatMs: intSetting(env, 'BENCH_SIM_HEARTBEAT_MS', 1000),
    pullMs: intSetting(env, 'BENCH_SIM_PULL_MS', 20, 0),
    startMs: intSetting(env, 'BENCH_SIM_START_MS', 20, 0),
    stopMs: intSetting(env, 'BENCH_SIM_STOP_MS', 10, 0),
    timeoutS: intSetting(env, 'BENCH_SIM_TIMEOUT_S', 180),
    failoverNodes: intSetting(env, 'BENCH_FAILOVER_NODES', 20),
    failoverServices: intSetting(env, 'BENCH_FAILOVER_SERVICES', 4),
    failoverReplicas: intSetting(env, 'BENCH_FAILOVER_REPLICAS', 20),
    failoverRuns: intSetting(env, 'BENCH_FAILOVER_RUNS', 3),
    readyTimeoutS: intSetting(env, 'BENCH_SCHEDULER_READY_S', 60),
  };
}

function log(message: string): void {
  process.stderr.write(`bench | ${message}\n`);
}

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => round(ms / 1000, 3);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

/** Resources torn down in reverse order, on success, on failure and on Ctrl-C. */
/** Runs a cleanup and logs what failed in it. */
async function runCleanup(cleanup: Cleanup): Promise<void> {
  for (const error of await cleanup.run()) log(`cleanup of ${error}`);
}

let interrupted = false;
const cleanups = new Set<Cleanup>();

// ---------------------------------------------------------------------------------------------
// (a) placement

interface PlacementResult {
  json?: Record<string, unknown>;
  error?: string;
  tableText?: string;
}

function runPlacement(): Promise<PlacementResult> {
  if (!existsSync(PLACEMENT_BENCH)) return Promise.resolve({ error: `${PLACEMENT_BENCH} is missing: run the build first` });
  log('(a) placement engine: running placement-bench (its progress follows)');
  return new Promise((resolve) => {
    const child = track(spawn(process.execPath, [PLACEMENT_BENCH], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env }));
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code, signal) => {
      const lines = stdout.trimEnd().split('\n');
      const last = lines.at(-1) ?? '';
      try {
        const json = JSON.parse(last) as Record<string, unknown>;
        resolve({ json, tableText: lines.slice(0, -1).join('\n').trim() });
      } catch {
        resolve({ error: `placement-bench exited with ${code ?? signal} without a JSON line` });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The scheduler under test

class SchedulerProcess {
  child?: ChildProcess;
  output = '';

  async start(natsUrl: string, home: string): Promise<void> {
    if (!existsSync(SCHEDULER_MAIN)) throw new Error(`${SCHEDULER_MAIN} is missing: run the build first`);
    const env: Record<string, string> = {};
    // Nothing from outside changes what is measured: every inherited SILO_* variable is dropped.
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SILO_')) env[k] = v;
    Object.assign(env, { SILO_HOME: home, SILO_NATS_URL: natsUrl, SILO_LOG_LEVEL: process.env['BENCH_SCHEDULER_LOG_LEVEL'] ?? 'warn' });
    // The simulated agents carry no join token (joining is not what is measured).
    env['SILO_REQUIRE_JOIN_TOKEN'] = 'false';
    const child = track(spawn(process.execPath, [SCHEDULER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    // BENCH_SCHEDULER_LOG=FILE keeps the scheduler's whole output (diagnosis); else its tail only.
    const file = process.env['BENCH_SCHEDULER_LOG'] ? createWriteStream(process.env['BENCH_SCHEDULER_LOG'], { flags: 'a' }) : undefined;
    const keep = (d: Buffer) => {
      file?.write(d);
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.once('exit', () => file?.end());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  exited(): string | undefined {
    const c = this.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return undefined;
    const lines = this.output.trim().split('\n');
    const why = lines.find((l) => /Error\b|error:/.test(l)) ?? lines.at(-1) ?? '';
    return `the scheduler exited with ${c.exitCode ?? c.signalCode}: ${why.trim().slice(0, 400)}`;
  }

  /** The scheduler's latest error log line, for a failure's message. */
  lastError(): string | undefined {
    const lines = this.output.split('\n').filter((l) => /"level":"(error|fatal)"/.test(l));
    const last = lines.at(-1);
    if (!last) return undefined;
    try {
      return String((JSON.parse(last) as { msg?: unknown }).msg ?? last).slice(0, 600);
    } catch {
      return last.slice(0, 600);
    }
  }

  cpuSeconds(): number {
    return this.child?.pid ? processCpuSeconds(this.child.pid) : 0;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 15_000, 'SIGTERM');
    this.child = undefined;
  }
}

interface Cluster {
  nats: NatsServerHandle;
  nc: NatsConnection;
  scheduler: SchedulerProcess;
  sim: SimulatedClusterHandle;
  cleanup: Cleanup;
  registrationProblem?: string;
}

/** nats-server (JetStream), the scheduler from dist, N simulated agents; waits until the scheduler serves. */
async function startCluster(s: Settings, nodes: number, label: string): Promise<Cluster> {
  const cleanup = new Cleanup();
  cleanups.add(cleanup);
  try {
    const nats = await startNatsServer({ jetstream: true });
    cleanup.add('nats-server', () => nats.stop());
    const home: TempDir = await makeTempDir('silo-bench-scheduler-');
    cleanup.add('SILO_HOME', () => home.cleanup());
    const nc = await connect({ servers: nats.url, name: 'bench-scheduler' });
    cleanup.add('NATS client', () => nc.drain());
    const scheduler = new SchedulerProcess();
    await scheduler.start(nats.url, home.path);
    cleanup.add('scheduler', () => scheduler.stop());
    log(`${label}: nats ${nats.url}, scheduler pid ${scheduler.pid}, starting ${nodes} simulated agents`);
    const sim = await startSimulatedCluster({
      natsUrl: nats.url,
      nodes,
      zones: ['zone-a', 'zone-b', 'zone-c'],
      heartbeatIntervalMs: s.heartbeatMs,
      pullDelayMs: s.pullMs,
      startDelayMs: s.startMs,
      stopDelayMs: s.stopMs,
      log: (m) => log(`${label}: sim: ${m}`),
    });
    cleanup.add('simulated agents', () => sim.stop());
    const cluster: Cluster = { nats, nc, scheduler, sim, cleanup };
    await waitSchedulerReady(cluster, s.readyTimeoutS * 1000, s.heartbeatMs);
    return cluster;
  } catch (err) {
    await runCleanup(cleanup);
    cleanups.delete(cleanup);
    throw err;
  }
}

async function stopCluster(c: Cluster): Promise<void> {
  await runCleanup(c.cleanup);
  cleanups.delete(c.cleanup);
}

/**
 * The service API answering (else "scheduler not ready: …"), then every agent registered — or, if
 * registration keeps failing, a warning: the scheduler also learns nodes from their heartbeats.
 */
async function waitSchedulerReady(c: Cluster, timeoutMs: number, heartbeatMs: number): Promise<void> {
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = c.scheduler.exited();
    if (exited) throw new Error(`scheduler not ready: ${exited}`);
    try {
      await natsRequest(c.nc, Subjects.serviceList, {}, ServiceListReply, 5000);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`scheduler not ready: ${errorText(err)}`);
    }
    await sleep(200);
  }
  const registrationDeadline = Date.now() + Math.min(timeoutMs, 30_000);
  for (;;) {
    const counts = c.sim.counts();
    if (counts.registered === counts.nodes) break;
    if (Date.now() > registrationDeadline) {
      c.registrationProblem = `${counts.registered}/${counts.nodes} agents registered after 30 s (last error: ${counts.lastRegistrationError ?? 'none'})`;
      log(`WARNING: ${c.registrationProblem}; going on: the scheduler learns nodes from heartbeats too`);
      break;
    }
    await sleep(100);
  }
  log(`scheduler ready: service API answers, ${c.sim.counts().registered}/${c.sim.nodes.length} agents registered (${Math.round(performance.now() - t0)} ms)`);
  // One heartbeat round so the scheduler knows every node's capacity and images.
  await sleep(heartbeatMs + 200);
}

function serviceSpec(name: string, replicas: number): ServiceSpec {
  return {
    name,
    image: `bench/${name}:1`,
    replicas,
    resources: { cpuRequestMillis: 100, cpuLimitMillis: 200, memoryRequestBytes: 64 * MiB, memoryLimitBytes: 128 * MiB },
  };
}

async function runningOnScheduler(nc: NatsConnection, prefix: string): Promise<{ running: number; desired: number }> {
  const list = await natsRequest(nc, Subjects.serviceList, {}, ServiceListReply, 10_000);
  let running = 0;
  let desired = 0;
  for (const service of list.services) {
    if (!service.name.startsWith(prefix)) continue;
    running += service.running;
    desired += service.desired;
  }
  return { running, desired };
}

// ---------------------------------------------------------------------------------------------
// (b) deploy 10,000 tasks on 1,000 agents

interface DeployResult {
  error?: string;
  replicas?: number;
  registrationProblem?: string;
  createErrors?: number;
  firstCreateError?: string;
  createP50Ms?: number;
  createMaxMs?: number;
  /** From the last create's reply to all running (the scheduler's view). */
  afterLastCreateS?: number;
  nodes?: number;
  services?: number;
  tasks?: number;
  createS?: number;
  firstRunningS?: number;
  agentsAllRunningS?: number;
  schedulerAllRunningS?: number;
  tasksPerS?: number;
  agentTasksPerS?: number;
  perNodeMin?: number;
  perNodeMax?: number;
  setsReceived?: number;
  stateEvents?: number;
  schedulerCpuS?: number;
  benchCpuS?: number;
  machineCpuS?: number;
}

async function runDeploy(s: Settings, services: number, replicas: number): Promise<DeployResult> {
  const total = services * replicas;
  log(`(b) deploy: ${s.nodes} simulated agents, ${services} services × ${replicas} replicas = ${total} tasks`);
  let c: Cluster;
  try {
    c = await startCluster(s, s.nodes, '(b)');
  } catch (err) {
    return { error: errorText(err) };
  }
  try {
    const sim = c.sim;
    const before = sim.counts();
    const cpu0 = { sched: c.scheduler.cpuSeconds(), own: process.cpuUsage(), machine: machineBusyCpuSeconds() };
    let firstRunning: number | undefined;
    let agentsAll: number | undefined;
    const t0 = performance.now();
    const off = sim.onTaskState((st) => {
      if (st.state !== 'running') return;
      firstRunning ??= performance.now();
      if (agentsAll === undefined && sim.counts().tasks.running >= total) agentsAll = performance.now();
    });
    // Create the services, a few requests in flight at a time. A failed create is retried (up to
    // 3 times) and reported: the figures stay comparable, and the failure is not hidden.
    const names = Array.from({ length: services }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
    const queue = [...names];
    const createMs: number[] = [];
    let createErrors = 0;
    let firstCreateError: string | undefined;
    await Promise.all(
      Array.from({ length: Math.min(s.createConcurrency, names.length) }, async () => {
        for (let name = queue.shift(); name; name = queue.shift()) {
          for (let attempt = 1; ; attempt++) {
            const c0 = performance.now();
            try {
              await natsRequest(c.nc, Subjects.serviceCreate, { spec: serviceSpec(name, replicas) }, ServiceReply, 30_000);
              createMs.push(performance.now() - c0);
              break;
            } catch (err) {
              createErrors++;
              if (!firstCreateError) {
                const logged = c.scheduler.lastError();
                firstCreateError = `${name}: ${errorText(err)}${logged ? ` (scheduler log: ${logged.split('\n')[0]})` : ''}`;
                log(`(b) create failed, retrying: ${firstCreateError}`);
              }
              // a create that failed may have been applied after all
              if (/CONFLICT/.test(errorText(err))) break;
              if (attempt >= 3) throw err;
            }
          }
        }
      }),
    );
    const created = performance.now();
    log(`(b) ${services} services created in ${Math.round(created - t0)} ms; waiting for ${total} running`);
    let schedulerAll: number | undefined;
    let lastReport = 0;
    const deadline = t0 + s.timeoutS * 1000;
    while (schedulerAll === undefined) {
      const exited = c.scheduler.exited();
      if (exited) throw new Error(exited);
      const now = performance.now();
      if (now > deadline) {
        const view = await runningOnScheduler(c.nc, 'bench-').catch(() => undefined);
        throw new Error(`timed out after ${s.timeoutS} s: scheduler says ${view?.running ?? '?'}/${total} running, agents ${sim.counts().tasks.running}`);
      }
      try {
        const view = await runningOnScheduler(c.nc, 'bench-');
        if (view.running >= total) schedulerAll = performance.now();
        if (now - lastReport > 2000) {
          lastReport = now;
          log(`(b) ${seconds(now - t0)} s: scheduler ${view.running}/${total} running; agents ${JSON.stringify(Object.fromEntries(Object.entries(sim.counts().tasks).filter(([, n]) => n > 0)))}`);
        }
      } catch (err) {
        log(`(b) service.list: ${errorText(err)}`);
      }
      if (schedulerAll === undefined) await sleep(100);
    }
    off();
    agentsAll ??= sim.counts().tasks.running >= total ? schedulerAll : undefined;
    const after = sim.counts();
    const own = process.cpuUsage(cpu0.own);
    const perNode = sim.nodes.map((n) => [...n.tasks.values()].filter((t) => t.status.state === 'running').length);
    const schedulerS = (schedulerAll - t0) / 1000;
    const agentsS = agentsAll !== undefined ? (agentsAll - t0) / 1000 : undefined;
    createMs.sort((a, b) => a - b);
    return {
      registrationProblem: c.registrationProblem,
      createErrors,
      firstCreateError,
      createP50Ms: createMs.length ? Math.round(median(createMs)) : undefined,
      createMaxMs: createMs.length ? Math.round(createMs.at(-1)!) : undefined,
      afterLastCreateS: round((schedulerAll - created) / 1000, 3),
      nodes: s.nodes,
      services,
      replicas,
      tasks: total,
      createS: seconds(created - t0),
      firstRunningS: firstRunning !== undefined ? seconds(firstRunning - t0) : undefined,
      agentsAllRunningS: agentsS !== undefined ? round(agentsS, 3) : undefined,
      schedulerAllRunningS: round(schedulerS, 3),
      tasksPerS: Math.round(total / schedulerS),
      agentTasksPerS: agentsS ? Math.round(total / agentsS) : undefined,
      perNodeMin: Math.min(...perNode),
      perNodeMax: Math.max(...perNode),
      setsReceived: after.setsReceived - before.setsReceived,
      stateEvents: after.stateEvents - before.stateEvents,
      schedulerCpuS: round(c.scheduler.cpuSeconds() - cpu0.sched, 2),
      benchCpuS: round((own.user + own.system) / 1e6, 2),
      machineCpuS: round(machineBusyCpuSeconds() - cpu0.machine, 2),
    };
  } catch (err) {
    const logged = c.scheduler.lastError();
    return { error: `${errorText(err)}${logged ? ` (scheduler log: ${logged})` : ''}` };
  } finally {
    await stopCluster(c);
  }
}

// ---------------------------------------------------------------------------------------------
// (c) failover

interface FailoverRun {
  node: string;
  replicas: number;
  /** Kill → the scheduler announces the node down (silo.scheduler.node-state). */
  detectS?: number;
  /** Kill → every replica the node had runs on another node (agents' reports). */
  recoveredS?: number;
  /** Kill → the scheduler's own view shows them all running elsewhere. */
  schedulerRecoveredS?: number;
}

interface FailoverResult {
  error?: string;
  registrationProblem?: string;
  nodes?: number;
  tasks?: number;
  runs?: FailoverRun[];
  medianS?: number;
  maxS?: number;
  /** Revive of the last killed node → its replaced tasks are stopped on it. */
  returnCleanS?: number;
}

function runningOnAliveNodes(sim: SimulatedClusterHandle): number {
  let n = 0;
  for (const node of sim.nodes) {
    if (!node.alive) continue;
    for (const t of node.tasks.values()) if (t.status.state === 'running') n++;
  }
  return n;
}

async function schedulerRunningExcept(c: Cluster, names: string[], dead: Set<string>): Promise<number> {
  let n = 0;
  for (const name of names) {
    const reply = await natsRequest(c.nc, Subjects.serviceTasks, { name }, ServiceTasksReply, 10_000);
    n += reply.tasks.filter((t) => t.desiredState === 'running' && t.state === 'running' && t.nodeId !== undefined && !dead.has(t.nodeId)).length;
  }
  return n;
}

async function runFailover(s: Settings): Promise<FailoverResult> {
  const total = s.failoverServices * s.failoverReplicas;
  log(`(c) failover: ${s.failoverNodes} simulated agents, ${s.failoverServices} services × ${s.failoverReplicas} replicas, default scheduler settings, ${s.failoverRuns} node losses`);
  let c: Cluster;
  try {
    c = await startCluster(s, s.failoverNodes, '(c)');
  } catch (err) {
    return { error: errorText(err) };
  }
  const downAt = new Map<string, number>();
  const sub = c.nc.subscribe(Subjects.nodeStateEvent, {
    callback: (_e, msg) => {
      try {
        const data = (JSON.parse(codec.decode(msg.data)) as { data?: { nodeId?: string; state?: string } }).data;
        if (data?.nodeId && data.state === 'down' && !downAt.has(data.nodeId)) downAt.set(data.nodeId, performance.now());
      } catch {
        // not ours
      }
    },
  });
  try {
    const names = Array.from({ length: s.failoverServices }, (_, i) => `fo-${i}`);
    for (const name of names) await natsRequest(c.nc, Subjects.serviceCreate, { spec: serviceSpec(name, s.failoverReplicas) }, ServiceReply, 30_000);
    const t0 = performance.now();
    for (;;) {
      const exited = c.scheduler.exited();
      if (exited) throw new Error(exited);
      const view = await runningOnScheduler(c.nc, 'fo-');
      if (view.running >= total && runningOnAliveNodes(c.sim) >= total) break;
      if (performance.now() - t0 > s.timeoutS * 1000) throw new Error(`the ${total} replicas did not all run within ${s.timeoutS} s (scheduler: ${view.running})`);
      await sleep(100);
    }
    log(`(c) ${total} replicas running on ${s.failoverNodes} nodes; settling 2 s`);
    await sleep(2000);
    const runs: FailoverRun[] = [];
    const killedTasks = new Map<string, string[]>();
    const dead = new Set<string>();
    for (let r = 0; r < s.failoverRuns && !interrupted; r++) {
      // the live node with the most running replicas
      const victim = c.sim.nodes
        .filter((n) => n.alive)
        .map((n) => ({ n, running: [...n.tasks.values()].filter((t) => t.status.state === 'running').length }))
        .sort((a, b) => b.running - a.running)[0]!;
      killedTasks.set(victim.n.id, [...victim.n.tasks.keys()]);
      const killedAt = performance.now();
      await c.sim.kill(victim.n.id);
      dead.add(victim.n.id);
      log(`(c) run ${r + 1}: killed ${victim.n.id} with ${victim.running} running replicas`);
      const run: FailoverRun = { node: victim.n.id, replicas: victim.running };
      const deadline = killedAt + s.timeoutS * 1000;
      while (run.recoveredS === undefined || run.schedulerRecoveredS === undefined) {
        const now = performance.now();
        if (now > deadline) break;
        if (run.recoveredS === undefined && runningOnAliveNodes(c.sim) >= total) run.recoveredS = seconds(now - killedAt);
        if (run.schedulerRecoveredS === undefined && now - killedAt > 500) {
          try {
            if ((await schedulerRunningExcept(c, names, dead)) >= total) run.schedulerRecoveredS = seconds(performance.now() - killedAt);
          } catch (err) {
            log(`(c) service.tasks: ${errorText(err)}`);
          }
        }
        await sleep(10);
      }
      const detected = downAt.get(victim.n.id);
      if (detected !== undefined) run.detectS = seconds(detected - killedAt);
      log(`(c) run ${r + 1}: down after ${run.detectS ?? '?'} s; replicas running elsewhere after ${run.recoveredS ?? 'timeout'} s (scheduler's view ${run.schedulerRecoveredS ?? 'timeout'} s)`);
      runs.push(run);
      await sleep(1500);
    }
    // The last victim returns: the tasks replaced meanwhile must be stopped on it.
    let returnCleanS: number | undefined;
    const last = runs.at(-1);
    if (last && !interrupted) {
      const node = c.sim.node(last.node)!;
      const stale = killedTasks.get(last.node) ?? [];
      const revivedAt = performance.now();
      await c.sim.revive(last.node);
      const deadline = revivedAt + 30_000;
      while (performance.now() < deadline) {
        if (stale.every((id) => !node.tasks.has(id))) {
          returnCleanS = seconds(performance.now() - revivedAt);
          break;
        }
        await sleep(10);
      }
      log(`(c) ${last.node} returned: its replaced tasks stopped after ${returnCleanS ?? 'timeout (30 s)'} s`);
    }
    const recovered = runs.map((r) => r.recoveredS).filter((x): x is number => x !== undefined);
    return {
      registrationProblem: c.registrationProblem,
      nodes: s.failoverNodes,
      tasks: total,
      runs,
      medianS: recovered.length === runs.length && runs.length ? round(median(recovered), 3) : undefined,
      maxS: recovered.length === runs.length && runs.length ? Math.max(...recovered) : undefined,
      returnCleanS,
    };
  } catch (err) {
    const logged = c.scheduler.lastError();
    return { error: `${errorText(err)}${logged ? ` (scheduler log: ${logged})` : ''}` };
  } finally {
    sub.unsubscribe();
    await stopCluster(c);
  }
}

// ---------------------------------------------------------------------------------------------

function fmt(value: number | undefined, unit = ''): string {
  return value === undefined ? '—' : `${value}${unit}`;
}

async function main(): Promise<void> {
  const s = loadSettings(process.env);
  const load0 = loadavg();
  const placement: PlacementResult | undefined = s.placement ? await runPlacement() : undefined;
  const deploy: DeployResult | undefined = s.deploy && !interrupted ? await runDeploy(s, s.services, s.replicas) : undefined;
  const deployOne: DeployResult | undefined = s.deploy && s.oneService && s.services > 1 && !interrupted ? await runDeploy(s, 1, s.services * s.replicas) : undefined;
  const failover: FailoverResult | undefined = s.failover && !interrupted ? await runFailover(s) : undefined;
  const load1 = loadavg();

  out();
  if (placement) {
    out('(a) placement engine alone (bench:placement)');
    if (placement.error) out(`not measured: ${placement.error}`);
    else {
      const pps = Number(placement.json?.['placements_per_s']);
      out(
        table(
          ['', 'placements/s', 'Silo ÷ it'],
          [
            ['Silo (exact)', String(pps), ''],
            ['target (issue 5)', '20000', String(round(pps / 20000, 2))],
            ['Nomad C1M', '3750', String(round(pps / 3750, 1))],
            ['kube-scheduler, its simulated benchmark', '810', String(round(pps / 810, 1))],
            ['kube-scheduler, real 5,000-node cluster', '100', String(round(pps / 100, 1))],
          ],
        ),
      );
      out(`(${placement.json?.['nodes']} nodes, ${placement.json?.['tasks']} tasks; full tables: npm run bench:placement)`);
    }
    out();
  }
  if (deploy) {
    out(`(b) deploy on ${s.nodes} simulated agents over a real nats-server, real scheduler (services created ${s.createConcurrency} at a time)`);
    const scenarios = [deploy, ...(deployOne ? [deployOne] : [])];
    for (const d of scenarios) {
      if (d.registrationProblem) out(`note: ${d.registrationProblem}`);
      if (d.error) out(`${d.services ?? ''} not measured: ${d.error}`);
    }
    const ok = scenarios.filter((d) => !d.error);
    if (ok.length) {
      const row = (name: string, f: (d: DeployResult) => string) => [name, ...ok.map(f)];
      out(
        table(
          ['metric', ...ok.map((d) => `${d.services} × ${d.replicas}`)],
          [
            row('tasks', (d) => String(d.tasks)),
            row('services created (API replies)', (d) => `${d.createS} s`),
            row('per create: p50 / max', (d) => `${d.createP50Ms} / ${d.createMaxMs} ms`),
            row('create errors (retried)', (d) => String(d.createErrors ?? 0)),
            row('first task running', (d) => fmt(d.firstRunningS, ' s')),
            row("all running, agents' reports", (d) => `${fmt(d.agentsAllRunningS, ' s')} → ${fmt(d.agentTasksPerS, '/s')}`),
            row("all running, scheduler's service.list", (d) => `${d.schedulerAllRunningS} s → ${d.tasksPerS}/s`),
            row('… after the last create replied', (d) => `${d.afterLastCreateS} s`),
            row('tasks per node (min–max)', (d) => `${d.perNodeMin}–${d.perNodeMax}`),
            row('desired sets / task-state events', (d) => `${d.setsReceived} / ${d.stateEvents}`),
            row('CPU s: scheduler / bench+sim / machine', (d) => `${d.schedulerCpuS} / ${d.benchCpuS} / ${d.machineCpuS}`),
          ],
        ),
      );
      for (const d of ok) if (d.firstCreateError) out(`first create error (${d.services} × ${d.replicas}): ${d.firstCreateError}`);
      out();
    }
    if (!deploy.error) {
      const rate = deploy.tasksPerS ?? 0;
      out(
        table(
          ['', 'tasks/s', 'Silo ÷ it'],
          [
            [`Silo, ${deploy.services} × ${deploy.replicas} (scheduler's view)`, String(rate), ''],
            ...(deployOne && !deployOne.error ? [[`Silo, 1 × ${deployOne.replicas}`, String(deployOne.tasksPerS), '']] : []),
            ['target (issue 5)', String(DEPLOY_TARGET_TASKS_PER_S), String(round(rate / DEPLOY_TARGET_TASKS_PER_S, 2))],
            ...Object.entries(DEPLOY_ANCHORS).map(([k, v]) => [`${k} (placement only)`, String(v), String(round(rate / v, 1))]),
          ],
        ),
      );
    }
    out();
  }
  if (failover) {
    out(`(c) failover: host loss → its replicas running elsewhere (${s.failoverNodes} simulated agents, heartbeat ${s.heartbeatMs} ms, scheduler defaults)`);
    if (failover.registrationProblem) out(`note: ${failover.registrationProblem}`);
    if (failover.error) out(`not measured: ${failover.error}`);
    else {
      out(
        table(
          ['run', 'node', 'replicas', 'down detected', 'running elsewhere (agents)', 'scheduler\'s view'],
          (failover.runs ?? []).map((r, i) => [String(i + 1), r.node, String(r.replicas), fmt(r.detectS, ' s'), fmt(r.recoveredS, ' s'), fmt(r.schedulerRecoveredS, ' s')]),
        ),
      );
      out();
      const m = failover.medianS;
      out(
        table(
          ['', 'seconds', 'it ÷ Silo'],
          [
            ['Silo (median)', fmt(m), ''],
            ['target (issue 5)', `≤ ${FAILOVER_TARGET_S}`, m ? String(round(FAILOVER_TARGET_S / m, 2)) : '—'],
            ...Object.entries(FAILOVER_ANCHORS).map(([k, v]) => [k, String(v), m ? String(round(v / m, 1)) : '—']),
          ],
        ),
      );
      out(`the node's return: its replaced tasks stopped on it after ${fmt(failover.returnCleanS, ' s')}`);
    }
    out();
  }
  const json = {
    placement: placement ? (placement.error ? { error: placement.error } : { placements_per_s: placement.json?.['placements_per_s'] ?? null, target_placements_per_s: 20000, nodes: placement.json?.['nodes'] ?? null, tasks: placement.json?.['tasks'] ?? null, full: placement.json }) : null,
    deploy: deploy
      ? deploy.error
        ? { error: deploy.error }
        : {
            tasks_per_s: deploy.tasksPerS,
            target_tasks_per_s: DEPLOY_TARGET_TASKS_PER_S,
            target_ratio: round((deploy.tasksPerS ?? 0) / DEPLOY_TARGET_TASKS_PER_S, 2),
            all_running_s: deploy.schedulerAllRunningS,
            agents_all_running_s: deploy.agentsAllRunningS ?? null,
            agents_tasks_per_s: deploy.agentTasksPerS ?? null,
            first_running_s: deploy.firstRunningS ?? null,
            create_s: deploy.createS,
            create_concurrency: s.createConcurrency,
            create_ms: { p50: deploy.createP50Ms ?? null, max: deploy.createMaxMs ?? null },
            create_errors: deploy.createErrors ?? 0,
            first_create_error: deploy.firstCreateError ?? null,
            after_last_create_s: deploy.afterLastCreateS ?? null,
            nodes: deploy.nodes,
            services: deploy.services,
            tasks: deploy.tasks,
            per_node: { min: deploy.perNodeMin, max: deploy.perNodeMax },
            sets_received: deploy.setsReceived,
            state_events: deploy.stateEvents,
            cpu_s: { scheduler: deploy.schedulerCpuS, bench_and_sim: deploy.benchCpuS, machine: deploy.machineCpuS },
            registration_problem: deploy.registrationProblem ?? null,
            one_service: deployOne
              ? deployOne.error
                ? { error: deployOne.error }
                : { tasks_per_s: deployOne.tasksPerS, all_running_s: deployOne.schedulerAllRunningS, agents_all_running_s: deployOne.agentsAllRunningS ?? null, first_running_s: deployOne.firstRunningS ?? null, tasks: deployOne.tasks }
              : null,
          }
      : null,
    failover: failover
      ? failover.error
        ? { error: failover.error }
        : {
            median_s: failover.medianS ?? null,
            max_s: failover.maxS ?? null,
            target_s: FAILOVER_TARGET_S,
            swarm_ratio: failover.medianS ? round(FAILOVER_ANCHORS['Docker Swarm (defaults)'] / failover.medianS, 1) : null,
            kubernetes_ratio: failover.medianS ? round(340 / failover.medianS, 1) : null,
            runs: (failover.runs ?? []).map((r) => ({ node: r.node, replicas: r.replicas, detect_s: r.detectS ?? null, recovered_s: r.recoveredS ?? null, scheduler_view_s: r.schedulerRecoveredS ?? null })),
            return_clean_s: failover.returnCleanS ?? null,
            nodes: failover.nodes,
            tasks: failover.tasks,
            registration_problem: failover.registrationProblem ?? null,
          }
      : null,
    sim: { heartbeat_ms: s.heartbeatMs, pull_ms: s.pullMs, start_ms: s.startMs, stop_ms: s.stopMs },
    cpus: cpus().length,
    load_avg: [round(load0[0]!, 2), round(load1[0]!, 2)],
  };
  out(JSON.stringify(json));
}

process.once('SIGINT', () => {
  interrupted = true;
  log('interrupted: stopping what was started');
  void Promise.all([...cleanups].map((c) => runCleanup(c))).then(() => process.exit(130));
});

main().catch(async (e: unknown) => {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  for (const c of cleanups) await runCleanup(c);
  process.exitCode = 1;
});
