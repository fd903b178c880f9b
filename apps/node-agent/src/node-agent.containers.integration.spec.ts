/**
 * The node agent with real parts: a real registry (nats-server + layer store + registry from
 * dist/), images built from busybox-static and pushed with skopeo, the agent from dist/ driven
 * over NATS with desired task sets, real containers through silo-runtime and silo-monitor.
 * Everything it makes (containers, mounts, cgroups, netns, bridge, iptables chains) is removed in
 * afterAll, also when a test fails.
 */
import { AgentExecReply, AgentLogsReply, AgentStatsReply, AgentTaskSpec, Subjects, TaskStatus } from '@silo/contracts';
import { AgentProcess, buildOciLayout, makeTempDir, SILO_RUNTIME as RUNTIME, skopeoCopy, SiloRegistryHandle, startSiloRegistry, TempDir, waitFor } from '@silo/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { removeAgentLeftovers } from './testing/agent-leftovers';

const suffix = `${process.pid % 10_000}`;
const NODE_ID = `it-node-${suffix}`;
const BRIDGE = `silot${suffix}`;
const SUBNET = `10.${200 + (process.pid % 50)}.${process.pid % 250}.0/24`;
const CHAINS = `SILOT${suffix}`;
const CGROUP_PARENT = `/silo/${NODE_ID}`;
/** Docker's default capability set, as CapEff shows it. */
const DOCKER_CAPS = '00000000a80425fb';

const runtimeReady = existsSync(RUNTIME) && /run/.test(execFileSync(RUNTIME, ['--help'], { encoding: 'utf8' }));

(runtimeReady ? describe : describe.skip)('node agent: real containers from a real registry', () => {
  let registry: SiloRegistryHandle;
  let work: TempDir;
  let agent: AgentProcess;
  let image: string;
  let home: string;

  const task = (taskId: string, extra: Partial<AgentTaskSpec> = {}): AgentTaskSpec => ({
    taskId,
    image,
    network: 'none',
    command: ['/bin/sleep', '1000'],
    stopGracePeriodMs: 2000,
    ...extra,
  });

  async function exec(taskId: string, command: string[]): Promise<AgentExecReply> {
    return agent.request(Subjects.agentExec(NODE_ID), { taskId, command, timeoutMs: 20_000 }, AgentExecReply);
  }

  async function sh(taskId: string, script: string): Promise<AgentExecReply> {
    return exec(taskId, ['/bin/sh', '-c', script]);
  }

  let desired: AgentTaskSpec[] = [];
  async function want(...tasks: AgentTaskSpec[]): Promise<void> {
    desired = tasks;
    const reply = await agent.apply(desired);
    expect(reply.applied).toBe(true);
  }
  const running = (taskId: string): Promise<TaskStatus> => agent.waitForTask(taskId, (s) => s.state === 'running');

  beforeAll(async () => {
    registry = await startSiloRegistry();
    work = await makeTempDir('silo-agent-it-');
    home = registry.home;
    const built = await buildOciLayout(join(work.path, 'app'), {
      tag: 'v1',
      layers: [{ busybox: true }, { files: { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 'etc/group': 'root:x:0:\napp:x:1000:\n', 'home/app/': { type: 'directory', uid: 1000, gid: 1000 }, 'data/owned-by-app': { content: 'x', uid: 1000, gid: 1000 } } }],
      config: { Cmd: ['/bin/sleep', '1000'] },
    });
    image = `${registry.host}/team/app:v1`;
    await skopeoCopy(built.skopeoRef, image, { destCreds: registry.creds, preserveDigests: true });
    agent = new AgentProcess({ home, natsUrl: registry.natsUrl, registryUrl: registry.url, nodeId: NODE_ID, bridge: BRIDGE, subnet: SUBNET, env: { SILO_NETWORK_CHAIN_PREFIX: CHAINS } });
    await agent.start();
  }, 180_000);

  afterAll(async () => {
    try {
      if (agent?.child) {
        await agent.apply([]).catch(() => undefined);
        await waitFor(async () => (await agent.list()).length === 0, { timeoutMs: 60_000, description: 'every task removed' }).catch(() => undefined);
      }
      await agent?.close();
    } finally {
      // Whatever the agent did not remove: containers, mounts, cgroups, the test network.
      await removeAgentLeftovers({ home, nodeId: NODE_ID, runtime: RUNTIME, cgroupParent: CGROUP_PARENT, bridge: BRIDGE, subnet: SUBNET, chains: CHAINS });
      await registry?.stop();
      await work?.cleanup();
    }
  }, 120_000);

  it('runs a container: PID 1 is its process, no host process is visible, the hostname is its own', async () => {
    await want(task('basic', { hostname: 'basic-host' }));
    await running('basic');
    const ps = await sh('basic', 'cat /proc/1/cmdline | tr "\\0" " "; echo; ls /proc | grep -c "^[0-9]"');
    const [cmdline, count] = ps.stdout.trim().split('\n');
    expect(cmdline!.trim()).toBe('/bin/sleep 1000');
    // sleep, the sh of this exec and its children: a handful, not the host's hundreds
    expect(Number(count)).toBeLessThan(6);
    expect((await exec('basic', ['hostname'])).stdout.trim()).toBe('basic-host');
  });

  it('in "none" mode only lo exists', async () => {
    await running('basic');
    expect((await exec('basic', ['ls', '/sys/class/net'])).stdout.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('hardening by default: Docker capabilities, /proc/kcore masked, /proc/sys read-only, mount fails, no_new_privs, seccomp', async () => {
    await running('basic');
    const status = (await exec('basic', ['cat', '/proc/self/status'])).stdout;
    expect(status).toMatch(new RegExp(`CapEff:\\s+${DOCKER_CAPS}`));
    expect(status).toMatch(new RegExp(`CapBnd:\\s+${DOCKER_CAPS}`));
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(status).toMatch(/Seccomp:\s+2/);
    // masked: /proc/kcore (when the kernel has it) and /proc/timer_list read as empty
    expect((await sh('basic', 'test -e /proc/kcore && wc -c < /proc/kcore || echo 0')).stdout.trim()).toBe('0');
    expect((await sh('basic', 'wc -c < /proc/timer_list')).stdout.trim()).toBe('0');
    const sysctl = await sh('basic', 'echo 1 > /proc/sys/vm/drop_caches');
    expect(sysctl.exitCode).not.toBe(0);
    expect(sysctl.stderr).toMatch(/Read-only file system/);
    const mount = await exec('basic', ['mount', '-t', 'tmpfs', 'tmpfs', '/mnt']);
    expect(mount.exitCode).not.toBe(0);
    // CAP_MKNOD makes a node of the host's disk, but the devices cgroup does not let it be opened
    const disk = await sh('basic', 'mknod /tmp/disk b 8 0 && head -c 1 /tmp/disk');
    expect(disk.exitCode).not.toBe(0);
    expect(disk.stderr).toMatch(/Operation not permitted/);
    expect((await sh('basic', 'echo ok > /dev/null && head -c 4 /dev/zero | wc -c')).stdout.trim()).toBe('4');
  });

  it('writes land in the container upper dir only; two containers of one image share lower inodes', async () => {
    await want(...desired, task('twin'));
    await running('twin');
    await sh('basic', 'echo hello > /written-by-basic && rm /data/owned-by-app');
    const upper = join(home, 'node-agent/containers/basic/upper');
    expect(readFileSync(join(upper, 'written-by-basic'), 'utf8')).toBe('hello\n');
    expect(statSync(join(upper, 'data/owned-by-app')).isCharacterDevice()).toBe(true); // a whiteout
    expect((await exec('twin', ['cat', '/data/owned-by-app'])).exitCode).toBe(0);
    expect((await exec('twin', ['ls', '/written-by-basic'])).exitCode).not.toBe(0);
    const inode = async (id: string) => (await exec(id, ['stat', '-c', '%i', '/bin/busybox'])).stdout.trim();
    expect(await inode('basic')).toBe(await inode('twin'));
    expect(await inode('basic')).not.toBe('');
  });

  it('the same desired set twice changes nothing', async () => {
    const before = (await agent.list()).map((s) => [s.taskId, s.pid]);
    await want(...desired);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await agent.list()).map((s) => [s.taskId, s.pid])).toEqual(before);
  });

  it('logs: each line with time and stream, readable over NATS; stats from the cgroup', async () => {
    await want(...desired, task('talker', { command: ['/bin/sh', '-c', 'echo out-line; echo err-line >&2; sleep 1000'] }));
    await running('talker');
    const logs = await waitFor(
      async () => {
        const reply = await agent.request(Subjects.agentLogs(NODE_ID), { taskId: 'talker' }, AgentLogsReply);
        return reply.lines.length >= 2 ? reply : undefined;
      },
      { description: 'two log lines' },
    );
    expect(logs.lines.map((l) => [l.stream, l.text]).sort()).toEqual([
      ['stderr', 'err-line'],
      ['stdout', 'out-line'],
    ]);
    expect(Date.parse(logs.lines[0]!.time)).toBeGreaterThan(Date.now() - 60_000);
    const stats = await agent.request(Subjects.agentStats(NODE_ID), { taskId: 'talker' }, AgentStatsReply);
    expect(stats.tasks[0]!.memoryBytes).toBeGreaterThan(0);
    expect(stats.tasks[0]!.pids).toBeGreaterThanOrEqual(1);
  });

  it('a memory limit kills a process that exceeds it, and the agent reports oom-killed', async () => {
    await want(...desired, task('hog', { command: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { memoryBytes: 16 * 1024 * 1024 } }));
    const status = await agent.waitForTask('hog', (s) => s.state === 'oom-killed' || s.state === 'exited');
    expect(status.state).toBe('oom-killed');
    expect(status.exitCode).toBe(137);
  });

  it('a pids limit stops a fork bomb', async () => {
    await want(...desired, task('bomb', { resources: { pids: 20 } }));
    await running('bomb');
    const bomb = await sh('bomb', 'i=0; while [ $i -lt 200 ]; do (sleep 1000 >/dev/null 2>&1 &) 2>/dev/null || echo fork-failed; i=$((i+1)); done; ls /proc | grep -c "^[0-9]"');
    expect(bomb.stdout).toMatch(/fork-failed/);
    const stats = await agent.request(Subjects.agentStats(NODE_ID), { taskId: 'bomb' }, AgentStatsReply);
    expect(stats.tasks[0]!.pidsLimit).toBe(20);
    expect(stats.tasks[0]!.pids).toBeGreaterThanOrEqual(15);
    expect(stats.tasks[0]!.pids).toBeLessThanOrEqual(20);
  });

  it('hardened: uid 0 inside is not 0 on the host, no capabilities, read-only root, image files keep their owners', async () => {
    await want(...desired.filter((t) => t.taskId !== 'bomb'), task('untrusted', { isolation: 'hardened' }));
    const status = await running('untrusted');
    const hostUid = statSync(`/proc/${status.pid}`).uid;
    expect(hostUid).toBeGreaterThanOrEqual(1_000_000_000);
    expect((await exec('untrusted', ['id', '-u'])).stdout.trim()).toBe('0');
    const caps = (await exec('untrusted', ['cat', '/proc/self/status'])).stdout;
    expect(caps).toMatch(/CapEff:\s+0000000000000000/);
    expect((await sh('untrusted', 'touch /root-write')).exitCode).not.toBe(0);
    expect((await sh('untrusted', 'touch /tmp/ok')).exitCode).toBe(0);
    expect((await exec('untrusted', ['stat', '-c', '%u:%g', '/data/owned-by-app'])).stdout.trim()).toBe('1000:1000');
  });

  it('bad input is reported as failed with a reason; the agent and the other containers are unaffected', async () => {
    const before = (await agent.list()).find((s) => s.taskId === 'basic')!;
    await want(
      ...desired,
      task('no-image', { image: `${registry.host}/team/missing:v1` }),
      task('bad-ref', { image: 'UPPER/Case::bad' }),
      task('too-big', { resources: { memoryBytes: 64 * 1024 ** 4 } }),
      task('no-cmd', { command: ['/bin/does-not-exist'] }),
    );
    const reasons = Object.fromEntries(
      await Promise.all(['no-image', 'bad-ref', 'too-big', 'no-cmd'].map(async (id) => [id, (await agent.waitForTask(id, (s) => s.state === 'failed')).reason ?? ''])),
    );
    expect(reasons['no-image']).toMatch(/not.found|unknown/i);
    expect(reasons['bad-ref']).toMatch(/reference/i);
    expect(reasons['too-big']).toMatch(/exceeds this node/);
    expect(reasons['no-cmd']).toMatch(/does-not-exist/);
    const after = (await agent.list()).find((s) => s.taskId === 'basic')!;
    expect(after).toMatchObject({ state: 'running', pid: before.pid });
  });

  it('survives SIGKILL of the agent: containers keep running, are re-adopted, logs intact', async () => {
    await want(...desired.filter((t) => t.taskId === 'basic' || t.taskId === 'talker'));
    await waitFor(async () => (await agent.list()).length === 2, { timeoutMs: 60_000, description: 'only basic and talker left' });
    const before = await running('talker');
    await agent.kill();
    expect(existsSync(`/proc/${before.pid}`)).toBe(true);
    await agent.start();
    const after = await running('talker');
    expect(after.pid).toBe(before.pid);
    const logs = await agent.request(Subjects.agentLogs(NODE_ID), { taskId: 'talker' }, AgentLogsReply);
    expect(logs.lines.map((l) => l.text)).toEqual(expect.arrayContaining(['out-line', 'err-line']));
  });

  it('bridge networking: an address on the bridge, a published port answers on the host', async () => {
    const port = 20_000 + (process.pid % 20_000);
    await want(...desired, task('web', { network: 'bridge', command: ['/bin/sh', '-c', 'while true; do nc -l -p 80 -e /bin/echo hello-from-web; done'], ports: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] }));
    const status = await running('web');
    expect(status.ip).toMatch(new RegExp(`^${SUBNET.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
    const addr = (await exec('web', ['ip', '-4', 'addr', 'show', 'eth0'])).stdout;
    expect(addr).toMatch(new RegExp(`inet ${SUBNET.split('.').slice(0, 3).join('\\.')}\\.\\d+/24`));
    const answer = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port }, () => undefined);
          let data = '';
          socket.on('data', (d) => (data += d.toString()));
          socket.on('close', () => resolve(data.includes('hello') ? data : undefined));
          socket.on('error', () => resolve(undefined));
          socket.setTimeout(2000, () => socket.destroy());
        }),
      { timeoutMs: 15_000, description: 'the published port to answer' },
    );
    expect(answer.trim()).toBe('hello-from-web');
  });

  it('removing every task leaves no container, mount, cgroup or netns behind', async () => {
    await want();
    await waitFor(async () => (await agent.list()).length === 0, { timeoutMs: 60_000, description: 'every task removed' });
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(join(home, 'node-agent')));
    expect(mounts).toEqual([]);
    for (const controller of ['memory', 'pids', 'cpu']) {
      const dir = `/sys/fs/cgroup/${controller}${CGROUP_PARENT}`;
      expect(existsSync(dir) ? readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory()) : []).toEqual([]);
    }
    expect((existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : []).filter((n) => ['silo-web', 'silo-basic'].includes(n))).toEqual([]);
    expect(readdirSync(join(home, 'node-agent/containers'))).toEqual([]);
  });
});
