/**
 * The scheduler with real parts: a real registry and NATS (JetStream), two scheduler replicas from
 * dist/ (one leads through the KV lease), and a real node agent running real containers.
 */
import {
  NodeUpdateReply,
  ServiceListReply,
  ServiceRemoveReply,
  ServiceReply,
  ServiceTasksReply,
  ServiceView,
  Subjects,
} from '@silo/contracts';
import {
  AgentProcess,
  buildOciLayout,
  freePort,
  makeTempDir,
  natsRequest,
  SILO_RUNTIME,
  SiloRegistryHandle,
  skopeoCopy,
  startSiloRegistry,
  stopProcess,
  TempDir,
  track,
  waitFor,
} from '@silo/testing';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

const SCHEDULER_MAIN = join(__dirname, '../../../../dist/apps/scheduler/src/main.js');
const NODE_ID = `sched-it-${process.pid % 10_000}`;
const ready = existsSync(SCHEDULER_MAIN) && existsSync(SILO_RUNTIME);

(ready ? describe : describe.skip)('scheduler orchestrator: two replicas, a real agent, real containers', () => {
  let registry: SiloRegistryHandle;
  let work: TempDir;
  let agent: AgentProcess;
  let image: string;
  const schedulers: { child: ChildProcess; output: string; home: string }[] = [];

  async function startScheduler(home: string): Promise<{ child: ChildProcess; output: string; home: string }> {
    const entry = { child: undefined as unknown as ChildProcess, output: '', home };
    entry.child = track(
      spawn(process.execPath, [SCHEDULER_MAIN], {
        env: { ...process.env, SILO_HOME: home, SILO_NATS_URL: registry.natsUrl, SILO_METRICS_PORT: String(await freePort()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    entry.child.stdout?.on('data', (d: Buffer) => (entry.output += d.toString()));
    entry.child.stderr?.on('data', (d: Buffer) => (entry.output += d.toString()));
    schedulers.push(entry);
    return entry;
  }

  const request = <R extends object>(subject: string, data: object, reply: new () => R) => natsRequest(agent.nc!, subject, data, reply, 15_000);
  const get = async (name: string): Promise<ServiceView> => (await request(Subjects.serviceGet, { name }, ServiceReply)).service;

  beforeAll(async () => {
    registry = await startSiloRegistry();
    work = await makeTempDir('silo-sched-it-');
    const built = await buildOciLayout(join(work.path, 'app'), { tag: 'v1', layers: [{ busybox: true }], config: { Cmd: ['/bin/sleep', '1000'] } });
    image = `${registry.host}/team/app:v1`;
    await skopeoCopy(built.skopeoRef, image, { destCreds: registry.creds, preserveDigests: true });
    // The agent reads the admin credentials from SILO_HOME: it shares the registry's home.
    agent = new AgentProcess({ home: registry.home, natsUrl: registry.natsUrl, registryUrl: registry.url, nodeId: NODE_ID, bridge: `silos${process.pid % 10_000}`, subnet: '10.252.0.0/24', env: { SILO_NETWORK_CHAIN_PREFIX: `SILOS${process.pid % 10_000}` } });
    await agent.start();
    // Two replicas, one database (SQLite cannot be shared by two processes safely: they share it
    // only through the leader, which alone writes; the standby reloads when it takes over).
    await startScheduler(registry.home);
    await waitFor(async () => request(Subjects.serviceList, {}, ServiceListReply).then(() => true, () => false), { timeoutMs: 30_000, description: 'a leading scheduler' });
  }, 180_000);

  afterAll(async () => {
    try {
      await request(Subjects.serviceRemove, { name: 'web' }, ServiceRemoveReply).catch(() => undefined);
      if (agent?.child) {
        await agent.apply([]).catch(() => undefined);
        await waitFor(async () => (await agent.list()).length === 0, { timeoutMs: 60_000 }).catch(() => undefined);
      }
      for (const s of schedulers) await stopProcess(s.child, 15_000);
      await agent?.close();
    } finally {
      for (const id of existsSync(join(registry?.home ?? '/none', 'node-agent/runtime')) ? readdirSync(join(registry.home, 'node-agent/runtime')) : []) {
        try {
          execFileSync(SILO_RUNTIME, ['--root', join(registry.home, 'node-agent/runtime'), 'delete', '--force', id], { stdio: 'ignore' });
        } catch {
          // gone
        }
      }
      if (registry?.home) {
        for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
          const mountPoint = line.split(' ')[4];
          if (mountPoint?.startsWith(registry.home)) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
        }
      }
      for (const controller of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
        try {
          execFileSync('rmdir', [`/sys/fs/cgroup/${controller}/silo/${NODE_ID}`], { stdio: 'ignore' });
        } catch {
          // not there
        }
      }
      await rm(`/run/silo/${NODE_ID}`, { recursive: true, force: true });
      await registry?.stop();
      await work?.cleanup();
    }
  }, 120_000);

  it('creates a replicated service and runs every replica as a real container', async () => {
    const created = await request(Subjects.serviceCreate, { spec: { name: 'web', replicas: 3, image, network: 'none', command: ['/bin/sleep', '1000'] } }, ServiceReply);
    expect(created.service).toMatchObject({ name: 'web', mode: 'replicated', version: 1, desired: 3 });
    await waitFor(async () => (await get('web')).running === 3, { timeoutMs: 60_000, description: '3 running' });
    const running = (await agent.list()).filter((t) => t.state === 'running');
    expect(running).toHaveLength(3);
    for (const t of running) expect(existsSync(`/proc/${t.pid}`)).toBe(true);
  });

  it('rejects a bad spec listing every problem, and applies nothing', async () => {
    const error = await request(Subjects.serviceCreate, { spec: { name: 'bad', image, constraints: ['node.labels.zone=eu'], resources: { cpuRequestMillis: 5000, cpuLimitMillis: 100 }, replicas: -1 } }, ServiceReply).catch((e: Error) => e.message);
    expect(error).toMatch(/VALIDATION_FAILED/);
    expect(error).toMatch(/replicas/);
    const error2 = await request(Subjects.serviceCreate, { spec: { name: 'bad', image, constraints: ['node.labels.zone=eu'], resources: { cpuRequestMillis: 5000, cpuLimitMillis: 100 } } }, ServiceReply).catch((e: Error) => e.message);
    expect(error2).toMatch(/constraint/);
    expect(error2).toMatch(/cpu request 5000m is above the limit 100m/);
    expect((await request(Subjects.serviceList, {}, ServiceListReply)).services.map((s) => s.name)).toEqual(['web']);
  });

  it('explains why a task is pending', async () => {
    await request(Subjects.serviceCreate, { spec: { name: 'huge', image, network: 'none', resources: { memoryRequestBytes: 10 ** 15 } } }, ServiceReply);
    const tasks = await waitFor(async () => {
      const reply = await request(Subjects.serviceTasks, { name: 'huge' }, ServiceTasksReply);
      return reply.tasks[0]?.pendingMessage ? reply.tasks : undefined;
    });
    expect(tasks[0]!.pendingMessage).toMatch(/1 node: insufficient memory \(needs .*, most free .*\)/);
    await request(Subjects.serviceRemove, { name: 'huge' }, ServiceRemoveReply);
  });

  it('scales, updates with a rolling update, rolls back', async () => {
    await request(Subjects.serviceScale, { name: 'web', replicas: 2 }, ServiceReply);
    await waitFor(async () => (await agent.list()).filter((t) => t.state === 'running').length === 2, { timeoutMs: 60_000, description: 'scaled to 2' });
    await request(Subjects.serviceUpdate, { name: 'web', spec: { name: 'web', replicas: 2, image, network: 'none', command: ['/bin/sleep', '2000'], updateConfig: { monitorMs: 500 } } }, ServiceReply);
    await waitFor(async () => {
      const s = await get('web');
      return s.version === 2 && s.rollout === 'completed' && s.running === 2;
    }, { timeoutMs: 60_000, description: 'update to version 2' });
    await request(Subjects.serviceRollback, { name: 'web' }, ServiceReply);
    await waitFor(async () => {
      const s = await get('web');
      return s.spec.command?.[1] === '1000' && s.rollout !== 'updating' && s.rollout !== 'rolling-back' && s.running === 2;
    }, { timeoutMs: 60_000, description: 'rolled back' });
  });

  it('drain moves the tasks away (here: nowhere to go, so they wait with a reason), active brings them back', async () => {
    const drained = await request(Subjects.nodeUpdate, { nodeId: NODE_ID, availability: 'drain' }, NodeUpdateReply);
    expect(drained.availability).toBe('drain');
    const pending = await waitFor(async () => {
      const tasks = (await request(Subjects.serviceTasks, { name: 'web' }, ServiceTasksReply)).tasks.filter((t) => t.desiredState === 'running' && t.pendingMessage);
      return tasks.length > 0 ? tasks : undefined;
    }, { timeoutMs: 30_000, description: 'replacements pending' });
    expect(pending[0]!.pendingMessage).toMatch(/drain/);
    // the old tasks keep running: nothing replaced them yet
    expect((await get('web')).running).toBe(2);
    await request(Subjects.nodeUpdate, { nodeId: NODE_ID, availability: 'active' }, NodeUpdateReply);
  });

  it('a second scheduler stands by and takes over when the leader dies; nothing is lost', async () => {
    const standby = await startScheduler(registry.home);
    await waitFor(() => standby.output.includes('standing by'), { timeoutMs: 30_000, description: `the second replica standing by (its output: ${standby.output.slice(-2000)})` });
    const leader = schedulers[0]!;
    const killedAt = Date.now();
    await stopProcess(leader.child, 5000, 'SIGKILL');
    await waitFor(() => standby.output.includes('leading'), { timeoutMs: 10_000, description: 'the standby taking over' });
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(5000);
    // the service is still there and reconciled by the new leader
    await request(Subjects.serviceScale, { name: 'web', replicas: 3 }, ServiceReply);
    await waitFor(async () => (await get('web')).running === 3, { timeoutMs: 60_000, description: '3 running under the new leader' });
  });
});
