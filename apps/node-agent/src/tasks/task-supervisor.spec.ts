import type { AgentTaskSpec, TaskStatus } from '@silo/contracts';
import { makeTempDir, waitFor } from '@silo/testing';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerFiles } from '../runtime/container-runtime';
import { ContainerLayout } from './container-layout';
import { IdRangeAllocator } from './id-range.allocator';
import { ContainerNetwork, ImageInfo, ImageProvider, NetworkProvider, RootfsProvider } from './task-ports';
import { mergeEnv, SupervisorDeps, TaskSupervisor } from './task-supervisor';

const IMAGE: ImageInfo = {
  reference: '127.0.0.1:5000/demo:1',
  digest: 'sha256:' + 'a'.repeat(64),
  entrypoint: ['/bin/app'],
  cmd: ['--serve'],
  env: ['PATH=/bin', 'MODE=image'],
  workingDir: '/srv',
  user: '',
  exposedPorts: ['80/tcp'],
  layers: ['sha256:' + 'b'.repeat(64)],
};

class FakeImages extends ImageProvider {
  calls = 0;
  failWith?: string;
  async ensure(): Promise<ImageInfo> {
    this.calls += 1;
    if (this.failWith) throw new Error(this.failWith);
    return IMAGE;
  }
}

class FakeRootfs extends RootfsProvider {
  prepared: string[] = [];
  removed: string[] = [];
  async prepare(id: string, _image: ImageInfo, target: string): Promise<void> {
    mkdirSync(join(target, 'etc'), { recursive: true });
    writeFileSync(join(target, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    writeFileSync(join(target, 'etc/group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app\n');
    this.prepared.push(id);
  }
  async remove(id: string): Promise<void> {
    this.removed.push(id);
  }
  upperDir(id: string): string {
    return `/upper/${id}`;
  }
}

class FakeNetwork extends NetworkProvider {
  setups: string[] = [];
  teardowns: string[] = [];
  async setup(id: string, mode: 'none' | 'host' | 'bridge'): Promise<ContainerNetwork> {
    this.setups.push(id);
    return mode === 'bridge' ? { mode, netnsPath: `/var/run/netns/silo-${id}`, ip: '10.88.0.2' } : { mode };
  }
  async teardown(id: string): Promise<void> {
    this.teardowns.push(id);
  }
  async restore(): Promise<void> {}
  releases = 0;
  async release(): Promise<void> {
    this.releases += 1;
  }
}

/** A runtime whose containers "exit" when the test writes their exit file. */
class FakeRuntime {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- config.json, read back as written
  started: { id: string; files: ContainerFiles; config: Record<string, any> }[] = [];
  kills: string[] = [];
  failStart?: string;
  /** Exit code written when the container gets a signal. */
  onKill?: (files: ContainerFiles, signal: string) => void;

  async start(id: string, files: ContainerFiles): Promise<number> {
    if (this.failStart) throw new Error(this.failStart);
    this.started.push({ id, files, config: JSON.parse(readFileSync(join(files.bundle, 'config.json'), 'utf8')) });
    writeFileSync(files.monitorPidFile, String(process.pid));
    return 4242;
  }
  async kill(id: string, signal: string): Promise<void> {
    this.kills.push(`${id}:${signal}`);
    const last = [...this.started].reverse().find((s) => s.id === id);
    if (last) this.onKill?.(last.files, signal);
  }
  async delete(): Promise<void> {}
  async exec(): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  }
}

function exitWith(files: ContainerFiles, exitCode: number, extra: Partial<{ signal: number; oomKilled: boolean }> = {}): void {
  const now = new Date().toISOString();
  writeFileSync(files.exitFile, JSON.stringify({ exitCode, signal: extra.signal ?? null, oomKilled: extra.oomKilled ?? false, startedAt: now, finishedAt: now }));
}

describe('TaskSupervisor', () => {
  let home: string;
  let images: FakeImages;
  let rootfs: FakeRootfs;
  let network: FakeNetwork;
  let runtime: FakeRuntime;
  let events: TaskStatus[];
  let deps: SupervisorDeps;
  const supervisors: TaskSupervisor[] = [];

  beforeEach(async () => {
    home = (await makeTempDir('supervisor-')).path;
    images = new FakeImages();
    rootfs = new FakeRootfs();
    network = new FakeNetwork();
    runtime = new FakeRuntime();
    events = [];
    deps = {
      nodeId: 'node-1',
      layout: new ContainerLayout(join(home, 'containers')),
      images,
      rootfs,
      network,
      runtime,
      report: (s) => events.push(s),
      capacity: { cpuMillis: 2000, memoryBytes: 8 * 1024 ** 3 },
      cgroupParent: '/silo/node-1',
      oomFile: (path) => `/sys/fs/cgroup/memory${path}/memory.oom_control`,
      idRanges: new IdRangeAllocator(join(home, 'ids.json'), 1_000_000_000),
    };
  });

  afterEach(async () => {
    for (const s of supervisors.splice(0)) s.detach();
    await rm(home, { recursive: true, force: true });
  });

  function supervise(spec: Partial<AgentTaskSpec> & { taskId: string }): TaskSupervisor {
    const supervisor = new TaskSupervisor({ image: IMAGE.reference, ...spec }, 'hash', deps);
    supervisors.push(supervisor);
    supervisor.begin(false);
    return supervisor;
  }

  const states = (id: string) => events.filter((e) => e.taskId === id).map((e) => e.state);

  it('pulls, starts and reports running, with a config.json made from the image and the task', async () => {
    const s = supervise({ taskId: 'web', env: { MODE: 'task' }, args: ['--port', '80'], resources: { cpuMillis: 500, memoryBytes: 64 * 1024 ** 2 }, user: 'app' });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    expect(states('web').slice(0, 3)).toEqual(['pulling', 'starting', 'running']);
    expect(s.status.pid).toBe(4242);
    const { config } = runtime.started[0]!;
    expect(config.process.args).toEqual(['/bin/app', '--port', '80']);
    expect(config.process.env).toEqual(expect.arrayContaining(['MODE=task', 'PATH=/bin', 'HOSTNAME=web', 'HOME=/home/app']));
    expect(config.process.cwd).toBe('/srv');
    expect(config.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [10] });
    expect(config.linux.resources.memory).toEqual({ limit: 64 * 1024 ** 2, swap: 64 * 1024 ** 2 });
    expect(config.linux.resources.cpu).toEqual({ quota: 50_000, period: 100_000 });
    expect(config.linux.cgroupsPath).toBe('/silo/node-1/web');
    expect(config.linux.namespaces).toContainEqual({ type: 'network', path: '/var/run/netns/silo-web' });
    expect(config.process.capabilities.bounding).toHaveLength(14);
    expect(runtime.started[0]!.files.oomFile).toBe('/sys/fs/cgroup/memory/silo/node-1/web/memory.oom_control');
    // persisted for re-adoption (written behind the status change: wait for the write)
    const record = () => JSON.parse(readFileSync(deps.layout.recordFile('web'), 'utf8')) as { status: { state: string } };
    await waitFor(() => record().status.state === 'running', { description: 'the record written' }).catch(() => undefined);
    expect(record().status.state).toBe('running');
  });

  it('reports exited(code) and does not restart with policy "no"', async () => {
    const s = supervise({ taskId: 'job' });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    exitWith(runtime.started[0]!.files, 3);
    await waitFor(() => s.status.state === 'exited', { description: 'exited' });
    expect(s.status.exitCode).toBe(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(runtime.started).toHaveLength(1);
  });

  it('reports oom-killed when the monitor says so', async () => {
    const s = supervise({ taskId: 'hog' });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    exitWith(runtime.started[0]!.files, 0, { signal: 9, oomKilled: true });
    await waitFor(() => s.status.state === 'oom-killed', { description: 'oom-killed' });
    expect(s.status.exitCode).toBe(137);
  });

  it('restarts on failure up to maxRetries, with backoff, counting restarts', async () => {
    const s = supervise({ taskId: 'flaky', restartPolicy: { name: 'on-failure', maxRetries: 2 } });
    for (let run = 1; run <= 3; run++) {
      await waitFor(() => runtime.started.length === run && s.status.state === 'running', { description: `run ${run}` });
      exitWith(runtime.started[run - 1]!.files, 1);
    }
    await waitFor(() => s.status.state === 'exited' && s.status.restarts === 2, { description: 'gave up after 2 restarts' });
    await new Promise((r) => setTimeout(r, 500));
    expect(runtime.started).toHaveLength(3);
  });

  it('on-failure does not restart a clean exit; always does', async () => {
    const once = supervise({ taskId: 'clean', restartPolicy: { name: 'on-failure' } });
    await waitFor(() => once.status.state === 'running', { description: 'running' });
    exitWith(runtime.started[0]!.files, 0);
    await waitFor(() => once.status.state === 'exited', { description: 'exited' });
    const always = supervise({ taskId: 'always', restartPolicy: { name: 'always' } });
    await waitFor(() => always.status.state === 'running', { description: 'running' });
    exitWith(runtime.started.find((r) => r.id === 'always')!.files, 0);
    await waitFor(() => runtime.started.filter((r) => r.id === 'always').length === 2 && always.status.state === 'running', { description: 'restarted' });
    expect(always.status.restarts).toBe(1);
    expect(runtime.started.filter((r) => r.id === 'clean')).toHaveLength(1);
  });

  it('reports failed(reason) for a missing image, impossible limits, an unknown user, and starts nothing', async () => {
    images.failWith = 'MANIFEST_UNKNOWN: manifest unknown';
    const missing = supervise({ taskId: 'missing' });
    await waitFor(() => missing.status.state === 'failed', { description: 'failed' });
    expect(missing.status.reason).toMatch(/image .*MANIFEST_UNKNOWN/);
    images.failWith = undefined;

    const huge = supervise({ taskId: 'huge', resources: { cpuMillis: 64_000 } });
    await waitFor(() => huge.status.state === 'failed', { description: 'failed' });
    expect(huge.status.reason).toMatch(/exceeds this node's 2 CPUs/);

    const tiny = supervise({ taskId: 'tiny', resources: { memoryBytes: 1024 } });
    await waitFor(() => tiny.status.state === 'failed', { description: 'failed' });
    expect(tiny.status.reason).toMatch(/below the minimum/);

    const nobody = supervise({ taskId: 'nobody', user: 'ghost' });
    await waitFor(() => nobody.status.state === 'failed', { description: 'failed' });
    expect(nobody.status.reason).toMatch(/user "ghost" is not in the image/);
    expect(runtime.started).toHaveLength(0);
  });

  it('reports a runtime start failure (command not found) as failed with the runtime message', async () => {
    runtime.failStart = 'silo-runtime run: exec "/bin/app": no such file or directory';
    const s = supervise({ taskId: 'nocmd' });
    await waitFor(() => s.status.state === 'failed', { description: 'failed' });
    expect(s.status.reason).toMatch(/no such file or directory/);
  });

  it('removes: SIGTERM, waits for the exit, then tears down network, rootfs and files', async () => {
    runtime.onKill = (files, signal) => signal === 'TERM' && exitWith(files, 143);
    const s = supervise({ taskId: 'web' });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    await s.remove();
    expect(runtime.kills).toEqual(['web:TERM']);
    expect(states('web').slice(-2)).toEqual(['stopping', 'removed']);
    expect(network.teardowns).toEqual(['web']);
    expect(rootfs.removed).toEqual(['web']);
    expect(existsSync(deps.layout.dir('web'))).toBe(false);
  });

  it('escalates to SIGKILL after the grace period', async () => {
    runtime.onKill = (files, signal) => signal === 'KILL' && exitWith(files, 137);
    const s = supervise({ taskId: 'stubborn', stopGracePeriodMs: 200 });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    await s.remove();
    expect(runtime.kills).toEqual(['stubborn:TERM', 'stubborn:KILL']);
  });

  it('re-adopts a running container whose monitor lives, without starting it again', async () => {
    const first = supervise({ taskId: 'web' });
    await waitFor(() => first.status.state === 'running', { description: 'running' });
    first.detach();
    const record = JSON.parse(readFileSync(deps.layout.recordFile('web'), 'utf8'));
    const adopted = new TaskSupervisor(record.spec, record.specHash, deps, record);
    supervisors.push(adopted);
    adopted.begin(true);
    await waitFor(() => adopted.status.state === 'running', { description: 'running' });
    expect(runtime.started).toHaveLength(1);
    exitWith(runtime.started[0]!.files, 0);
    await waitFor(() => adopted.status.state === 'exited', { description: 'exit seen after re-adoption' });
  });

  it('hardened: a user namespace with its own host range, no capabilities, read-only root with /tmp', async () => {
    const s = supervise({ taskId: 'untrusted', isolation: 'hardened', network: 'none' });
    await waitFor(() => s.status.state === 'running', { description: 'running' });
    const { config } = runtime.started[0]!;
    expect(config.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1_000_000_000, size: 65_536 }]);
    expect(config.linux.namespaces).toContainEqual({ type: 'user' });
    expect(config.process.capabilities.effective).toEqual([]);
    expect(config.root.readonly).toBe(true);
    expect(config.mounts.find((m: { destination: string }) => m.destination === '/tmp')).toBeDefined();
    const syscalls = config.linux.seccomp.syscalls[0].names as string[];
    expect(syscalls).not.toContain('mknod');
  });
});

describe('mergeEnv', () => {
  it('task env overrides image env, which overrides the defaults', () => {
    expect(mergeEnv(['A=image', 'B=image'], { B: 'task' }, { A: 'default', C: 'default' })).toEqual(
      expect.arrayContaining(['A=image', 'B=task', 'C=default', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']),
    );
  });
});
