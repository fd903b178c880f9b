/**
 * Issue #5 point 9: the scheduler and real node agents on a cluster of 3 hosts (network
 * namespaces on one machine, see cluster.ts), driven over NATS the way the api and the CLI do.
 * Default timing: heartbeats every 1 s, a node is down after 3 s without one.
 */
import { AgentExecReply, AgentTaskListReply, ServiceReply, ServiceSpec, ServiceTask, ServiceTasksReply, ServiceView, Subjects } from '@silo/contracts';
import { buildOciLayout, makeTempDir, natsRequest, skopeoCopy, TempDir, waitFor } from '@silo/testing';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Cluster, ClusterHost, tcpRead } from './cluster';

const HEARTBEAT_DEADLINE_MS = 3000;
const log = (...args: unknown[]) => process.stdout.write(`[cluster] ${args.map(String).join(' ')}\n`);

describe('a Silo cluster of 3 hosts (network namespaces, real agents and containers)', () => {
  let cluster: Cluster;
  let work: TempDir;
  let v1: string;
  let v2: string;
  let broken: string;

  const request = <R extends object>(subject: string, data: object, reply: new () => R) => natsRequest(cluster.nc, subject, data, reply, 15_000);
  /** A request whose reply is not validated (node.update, service.remove). */
  const command = async (subject: string, data: object): Promise<unknown> => {
    const msg = await cluster.nc.request(subject, Buffer.from(JSON.stringify({ pattern: subject, data, id: randomUUID() })), { timeout: 15_000 });
    const envelope = JSON.parse(Buffer.from(msg.data).toString()) as { response?: unknown; err?: unknown };
    if (envelope.err) throw new Error(`${subject}: ${JSON.stringify(envelope.err)}`);
    return envelope.response;
  };
  const agentTasks = async (host: ClusterHost) => (await natsRequest(cluster.nc, Subjects.agentTasksList(host.nodeId), {}, AgentTaskListReply, 5000)).tasks;
  const get = async (name: string): Promise<ServiceView> => (await request(Subjects.serviceGet, { name }, ServiceReply)).service;
  const tasks = async (name: string): Promise<ServiceTask[]> => (await request(Subjects.serviceTasks, { name }, ServiceTasksReply)).tasks;
  const running = (list: ServiceTask[]) => list.filter((t) => t.state === 'running');
  /** Running tasks per host, in host order. */
  const spread = (list: ServiceTask[]) => cluster.hosts.map((h) => running(list).filter((t) => t.nodeId === h.nodeId).length);
  const webSpec = (image: string, extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
    name: 'web',
    replicas: 6,
    image,
    registryAuth: cluster.credentials,
    network: 'bridge',
    // the replicas on a host share its published port (the agent spreads connections over them)
    ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    command: ['/bin/sh', '-c', 'while true; do nc -l -p 80 -e /bin/echo hello-$HOSTNAME; done'],
    stopGracePeriodMs: 500,
    updateConfig: { parallelism: 2, monitorMs: 1000, order: 'start-first', failureAction: 'rollback' },
    ...extra,
  });

  /** Polls the running count of a service every 100 ms until stop(); remembers the minimum. */
  const samplers = new Set<{ stop(): Promise<unknown> }>();
  afterEach(async () => {
    for (const s of samplers) await s.stop();
  });
  function sampler(name: string) {
    let min = Number.POSITIVE_INFINITY;
    let samples = 0;
    let active = true;
    const loop = (async () => {
      while (active) {
        try {
          const n = running(await tasks(name)).length;
          min = Math.min(min, n);
          samples += 1;
        } catch {
          // a slow reply is not a sample
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const handle = {
      async stop() {
        active = false;
        samplers.delete(handle);
        await loop;
        return { min, samples };
      },
    };
    samplers.add(handle);
    return handle;
  }

  async function waitForSpread(name: string, expected: number[], timeoutMs: number, exact = true): Promise<void> {
    let last: ServiceTask[] = [];
    await waitFor(
      async () => {
        const list = await tasks(name);
        last = list;
        // exactly the expected running tasks, and nothing else still wanted somewhere
        return spread(list).join() === expected.join() && (!exact || list.filter((t) => t.desiredState === 'running').length === expected.reduce((a, b) => a + b, 0));
      },
      { timeoutMs, intervalMs: 200, description: `${name} spread ${expected.join('/')}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last spread ${spread(last).join('/')}, tasks ${JSON.stringify(last.filter((t) => t.desiredState === 'running' || t.state === 'running').map((t) => [t.taskId, t.nodeId, t.version, t.desiredState, t.state, t.reason]))}`);
    });
  }

  beforeAll(async () => {
    work = await makeTempDir('silo-cluster-images-');
    cluster = await Cluster.start({ hosts: 3, log });
    log(`bridge ${cluster.bridge} ${cluster.bridgeIp}/24, nats ${cluster.natsUrl}, registry ${cluster.registryUrl}, hosts ${cluster.hosts.map((h) => `${h.nodeId}=${h.address}`).join(' ')}`);
    // Two versions of one app, pushed with skopeo to the registry address the hosts use.
    for (const tag of ['v1', 'v2']) {
      const built = await buildOciLayout(join(work.path, tag), {
        tag,
        layers: [{ busybox: true }, { files: { 'etc/app-version': `${tag}\n` } }],
        config: { Cmd: ['/bin/sleep', '100000'] },
      });
      await skopeoCopy(built.skopeoRef, `${cluster.registryHost}/team/app:${tag}`, { destCreds: cluster.creds, destTlsVerify: false, preserveDigests: true });
    }
    v1 = `${cluster.registryHost}/team/app:v1`;
    v2 = `${cluster.registryHost}/team/app:v2`;
    broken = `${cluster.registryHost}/team/app:broken`;
  }, 180_000);

  afterAll(async () => {
    try {
      if (cluster) {
        for (const name of ['web', 'edge', 'batch']) await command(Subjects.serviceRemove, { name }).catch(() => undefined);
        // let the agents remove their containers themselves; stop() forces whatever is left
        await waitFor(
          async () => {
            for (const host of cluster.hosts.filter((h) => h.alive)) {
              const list = await natsRequest(cluster.nc, Subjects.agentTasksList(host.nodeId), {}, AgentTaskListReply, 3000);
              if (list.tasks.length) return false;
            }
            return true;
          },
          { timeoutMs: 30_000, intervalMs: 500, description: 'agents empty' },
        ).catch((err: Error) => log(`afterAll: ${err.message}`));
        const warnings = cluster
          .schedulerLog()
          .split('\n')
          .filter((l) => /"level":(40|50|60)|WARN|ERROR/.test(l));
        log(`scheduler warnings/errors (last 15):\n${warnings.slice(-15).join('\n')}`);
      }
    } finally {
      await cluster?.stop();
      await work?.cleanup();
    }
  }, 120_000);

  it('deploys 6 replicas: 2 on each host', async () => {
    const t0 = Date.now();
    await request(Subjects.serviceCreate, { spec: webSpec(v1) }, ServiceReply);
    await waitForSpread('web', [2, 2, 2], 90_000);
    log(`6 replicas running after ${Date.now() - t0} ms (first pull on every host included)`);
    expect((await get('web')).running).toBe(6);
  });

  async function answers(host: ClusterHost): Promise<string> {
    const answer = await waitFor(
      async () => {
        const text = await tcpRead(host.address, 8080);
        return text.startsWith('hello-') ? text.trim() : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 300, description: `${host.address}:8080 answering` },
    );
    log(`${host.address}:8080 -> ${answer}`);
    return answer;
  }

  it('the published port answers on every host', async () => {
    for (const host of cluster.hosts) expect(await answers(host)).toMatch(/^hello-/);
  });

  it('another service on the same host port stays pending and says why', async () => {
    await request(Subjects.serviceCreate, { spec: { ...webSpec(v1), name: 'edge', replicas: 1, updateConfig: undefined } }, ServiceReply);
    const pending = await waitFor(
      async () => {
        const list = await tasks('edge');
        return list.length === 1 && list[0]!.pendingMessage ? list : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'edge pending with a reason' },
    );
    log(`edge pending: ${JSON.stringify(pending.map((t) => [t.state, t.pendingMessage]))}`);
    expect(pending[0]!.state).not.toBe('running');
    expect(pending[0]!.pendingMessage).toMatch(/port/i);
    await command(Subjects.serviceRemove, { name: 'edge' });
  });

  let killed: ClusterHost;
  it('a killed host (agent and containers) gets its replicas running on the others', async () => {
    killed = cluster.hosts[2]!;
    const others = cluster.hosts.filter((h) => h !== killed).map((h) => h.nodeId);
    const t0 = Date.now();
    await cluster.kill(killed);
    await waitFor(async () => running(await tasks('web')).filter((t) => others.includes(t.nodeId ?? '')).length === 6, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: '6 replicas running on the 2 remaining hosts',
    });
    const failoverMs = Date.now() - t0;
    const down = cluster.nodeEvents.find((e) => e.nodeId === killed.nodeId && e.state === 'down' && e.at >= t0);
    const afterDown = down ? Date.now() - down.at : NaN;
    log(`FAILOVER: host killed -> 6 running elsewhere in ${failoverMs} ms; node marked down after ${down ? down.at - t0 : '?'} ms; replicas running ${afterDown} ms after that`);
    expect(down).toBeDefined();
    // the heartbeat deadline, then at most 5 s (generous here: the benchmark measures precisely)
    expect(failoverMs).toBeLessThan(HEARTBEAT_DEADLINE_MS + 5000 + 4000);
    expect(spread(await tasks('web')).slice(0, 2)).toEqual([3, 3]);
    for (const host of cluster.hosts.filter((h) => h !== killed)) await answers(host);
  });

  it("the host's return rebalances to 2 per host without dropping below 6 running", async () => {
    const watch = sampler('web');
    const t0 = Date.now();
    await cluster.revive(killed);
    await waitForSpread('web', [2, 2, 2], 90_000);
    const { min, samples } = await watch.stop();
    log(`rebalanced to 2/2/2 ${Date.now() - t0} ms after the agent restarted; min running ${min} over ${samples} samples`);
    // the returned host keeps only what the scheduler gave it (its killed containers are removed)
    let onHost: Awaited<ReturnType<typeof agentTasks>> = [];
    await waitFor(async () => (onHost = await agentTasks(killed)).length === 2, {
      timeoutMs: 30_000,
      intervalMs: 300,
      description: `${killed.nodeId} with exactly its 2 new tasks`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; the agent has ${JSON.stringify(onHost.map((t) => [t.taskId, t.state, t.exitCode, t.reason]))}`);
    });
    expect(min).toBeGreaterThanOrEqual(6);
  });

  it('drain empties a host with no moment below 6 running; active again rebalances', async () => {
    const drained = cluster.hosts[0]!;
    const watch = sampler('web');
    await command(Subjects.nodeUpdate, { nodeId: drained.nodeId, availability: 'drain' });
    await waitForSpread('web', [0, 3, 3], 90_000);
    const { min, samples } = await watch.stop();
    log(`drain: min running ${min} over ${samples} samples`);
    expect(min).toBeGreaterThanOrEqual(6);
    await waitFor(async () => (await agentTasks(drained)).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 300,
      description: `${drained.nodeId} empty`,
    });
    await command(Subjects.nodeUpdate, { nodeId: drained.nodeId, availability: 'active' });
    await waitForSpread('web', [2, 2, 2], 90_000);
  });

  it('a rolling update to a new tag replaces every replica', async () => {
    const before = await get('web');
    const watch = sampler('web');
    await request(Subjects.serviceUpdate, { name: 'web', spec: webSpec(v2) }, ServiceReply);
    await waitFor(
      async () => {
        const service = await get('web');
        const list = running(await tasks('web'));
        return service.rollout === 'completed' && service.version > before.version && list.length === 6 && list.every((t) => t.version === service.version);
      },
      { timeoutMs: 120_000, intervalMs: 300, description: 'rollout to v2 completed' },
    );
    const { min } = await watch.stop();
    const service = await get('web');
    log(`rolled out version ${service.version} (${service.spec.image}); min running during the update ${min}`);
    expect(service.spec.image).toBe(v2);
    // the containers run the new image
    for (const t of running(await tasks('web'))) {
      const reply = await natsRequest(cluster.nc, Subjects.agentExec(t.nodeId!), { taskId: t.taskId, command: ['cat', '/etc/app-version'], timeoutMs: 10_000 }, AgentExecReply, 15_000);
      expect(reply.stdout.trim()).toBe('v2');
    }
  });

  it('an update to a broken tag rolls back by itself', async () => {
    const good = await get('web');
    await request(Subjects.serviceUpdate, { name: 'web', spec: webSpec(broken) }, ServiceReply);
    const service = await waitFor(
      async () => {
        const s = await get('web');
        return s.rollout === 'rolled-back' ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 300, description: 'rollout rolled-back' },
    );
    log(`broken tag: rollout ${service.rollout} (${service.rolloutMessage}); version ${good.version} -> ${service.version}, image ${service.spec.image}`);
    expect(service.spec.image).toBe(v2);
    const list = await waitFor(
      async () => {
        const l = running(await tasks('web'));
        return l.length === 6 && l.every((t) => t.version === service.version) ? l : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: '6 replicas of the rolled-back version running' },
    );
    expect(list).toHaveLength(6);
    for (const t of list) {
      const reply = await natsRequest(cluster.nc, Subjects.agentExec(t.nodeId!), { taskId: t.taskId, command: ['cat', '/etc/app-version'], timeoutMs: 10_000 }, AgentExecReply, 15_000);
      expect(reply.stdout.trim()).toBe('v2');
    }
  });

  it('a job runs to completion (3 completions, 2 at a time)', async () => {
    await command(Subjects.serviceRemove, { name: 'web' });
    let maxRunning = 0;
    const t0 = Date.now();
    await request(
      Subjects.serviceCreate,
      {
        spec: {
          name: 'batch',
          mode: 'job',
          completions: 3,
          parallelism: 2,
          image: v1,
          registryAuth: cluster.credentials,
          network: 'none',
          command: ['/bin/sh', '-c', 'sleep 1; exit 0'],
        },
      },
      ServiceReply,
    );
    const done = await waitFor(
      async () => {
        maxRunning = Math.max(maxRunning, running(await tasks('batch')).length);
        const s = await get('batch');
        return (s.completed ?? 0) >= 3 ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 150, description: 'job completed 3 times' },
    );
    const list = await tasks('batch');
    log(`job: ${done.completed} completions in ${Date.now() - t0} ms, at most ${maxRunning} running at once; tasks ${JSON.stringify(list.map((t) => [t.state, t.exitCode]))}`);
    expect(done.completed).toBe(3);
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(list.filter((t) => t.state === 'running')).toHaveLength(0);
  });
});
