import type { AgentTaskSpec, HealthState, TaskState, TaskStatus } from '@silo/contracts';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { ContainerRuntime } from '../runtime/container-runtime';
import { buildOciSpec, IdMapping } from '../runtime/oci-spec.builder';
import { ContainerLayout } from './container-layout';
import { resolveContainerUser, UnknownUserError } from './container-user';
import { ExitRecord, waitForExitFile } from './exit-watcher';
import { HealthProbe } from './health-probe';
import { restartDelay, shouldRestart, BACKOFF_RESET_AFTER_MS } from './restart-policy';
import { ContainerNetwork, ImageInfo, ImageProvider, NetworkProvider, RootfsProvider } from './task-ports';
import { maxOpenFilesHardLimit } from '../host/host-info';
import { containerResolvConf } from '../network/resolv-conf';
import { writeJsonAtomic } from '../host/atomic-json';

/** A reason the task cannot run as specified: reported as `failed(reason)`, not retried. */
export class TaskFailure extends Error {}

export interface SupervisorDeps {
  nodeId: string;
  layout: ContainerLayout;
  images: ImageProvider;
  rootfs: RootfsProvider;
  network: NetworkProvider;
  runtime: Pick<ContainerRuntime, 'start' | 'kill' | 'delete' | 'exec'> & { hasState?(id: string): boolean };
  /** Every status change goes here (events, heartbeat). */
  report: (status: TaskStatus) => void;
  progress?: (taskId: string, reference: string, p: { layer: string; phase: 'downloading' | 'unpacking' | 'done'; bytes: number; total: number }) => void;
  capacity: { cpuMillis: number; memoryBytes: number };
  cgroupParent: string;
  oomFile: (cgroupPath: string) => string | undefined;
  defaultAuth?: () => { username: string; password: string } | undefined;
  idRanges: { acquire(taskId: string): Promise<number>; release(taskId: string): Promise<void> };
  now?: () => Date;
  log?: (message: string) => void;
}

/** What the agent keeps on disk per task (`task.json`) so that a restarted agent re-adopts it. */
export interface TaskRecord {
  spec: AgentTaskSpec;
  specHash: string;
  status: TaskStatus;
  network?: ContainerNetwork;
  monitorPid?: number;
}

/** The smallest memory limit a container can start with. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
const USERNS_SIZE = 65_536;
const DEFAULT_GRACE_MS = 10_000;
const MAX_OPEN_FILES = maxOpenFilesHardLimit();

/**
 * One task on this node, from image to running container and back: pulls, prepares the root and
 * the network, starts the container under its monitor, watches it exit, restarts it by policy,
 * probes its health, and stops and removes it when the task leaves the desired set.
 */
export class TaskSupervisor {
  status: TaskStatus;
  network?: ContainerNetwork;
  private monitorPid?: number;
  private image?: ImageInfo;
  private stopping = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private health?: HealthProbe;
  private consecutiveFailures = 0;
  private permanentFailure = false;

  constructor(
    readonly spec: AgentTaskSpec,
    readonly specHash: string,
    private readonly deps: SupervisorDeps,
    previous?: TaskRecord,
  ) {
    this.status = previous?.status ?? { nodeId: deps.nodeId, taskId: spec.taskId, state: 'pending', at: this.now(), restarts: 0 };
    this.network = previous?.network;
    this.monitorPid = previous?.monitorPid;
  }

  get id(): string {
    return this.spec.taskId;
  }

  get cgroupPath(): string {
    return `${this.deps.cgroupParent}/${this.id}`;
  }

  /** Starts supervising: a new task, or one adopted from a previous agent (ADOPT). */
  begin(adopt: boolean): void {
    this.loop = this.run(adopt).catch((err) => {
      this.deps.log?.(`task ${this.id}: supervisor failed: ${err instanceof Error ? err.stack : String(err)}`);
    });
  }

  /** Stops the container (SIGTERM, grace, SIGKILL) and removes everything the task made. */
  async remove(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.health?.stop();
    await this.loop;
    this.health?.stop();
    if (['running', 'starting', 'stopping'].includes(this.status.state)) await this.stopContainer();
    await this.deps.runtime.delete(this.id, true).catch(() => undefined);
    await this.deps.network.teardown(this.id).catch((err) => this.deps.log?.(`task ${this.id}: network teardown: ${String(err)}`));
    await this.deps.rootfs.remove(this.id).catch((err) => this.deps.log?.(`task ${this.id}: rootfs removal: ${String(err)}`));
    if (this.spec.isolation === 'hardened') await this.deps.idRanges.release(this.id);
    await rm(this.deps.layout.dir(this.id), { recursive: true, force: true });
    await rm(this.deps.layout.runtimeDir(this.id), { recursive: true, force: true });
    this.setStatus('removed', {});
  }

  /** The agent is shutting down: stop watching, leave the container running under its monitor. */
  detach(): void {
    this.stopping = true;
    this.wake?.();
    this.health?.stop();
  }

  record(): TaskRecord {
    return { spec: this.spec, specHash: this.specHash, status: this.status, network: this.network, monitorPid: this.monitorPid };
  }

  private async run(adopt: boolean): Promise<void> {
    let exit: ExitRecord | undefined;
    if (adopt) {
      const adopted = await this.adopt();
      if (adopted === 'finished') return;
      exit = adopted;
    }
    while (!this.stopping) {
      if (!exit) {
        const started = await this.launch();
        if (!started) {
          if (!this.retryAfterFailure()) return;
          await this.sleep(restartDelay(this.consecutiveFailures++));
          continue;
        }
        exit = await this.waitForExit();
        if (!exit) return; // stopping
      }
      this.health?.stop();
      await this.deps.runtime.delete(this.id, true).catch(() => undefined);
      const exitCode = exit.signal ? 128 + exit.signal : exit.exitCode;
      const ranMs = this.status.startedAt ? Date.parse(exit.finishedAt) - Date.parse(this.status.startedAt) : 0;
      this.setStatus(exit.oomKilled ? 'oom-killed' : 'exited', {
        exitCode,
        finishedAt: exit.finishedAt,
        reason: exit.oomKilled ? 'the container exceeded its memory limit' : exit.signal ? `killed by signal ${exit.signal}` : undefined,
      });
      exit = undefined;
      if (this.stopping || !shouldRestart(this.spec.restartPolicy, exitCode, this.status.restarts)) return;
      if (ranMs >= BACKOFF_RESET_AFTER_MS) this.consecutiveFailures = 0;
      await this.sleep(restartDelay(this.consecutiveFailures++));
      if (this.stopping) return;
      this.status.restarts += 1;
    }
  }

  private retryAfterFailure(): boolean {
    if (this.stopping || this.status.state !== 'failed' || this.permanentFailure) return false;
    if (!shouldRestart(this.spec.restartPolicy, 1, this.status.restarts)) return false;
    this.status.restarts += 1;
    return true;
  }

  /** Pull, prepare, start. False when it failed (status says why). */
  private async launch(): Promise<boolean> {
    const spec = this.spec;
    try {
      if (!this.image) {
        this.setStatus('pulling', {});
        try {
          this.image = await this.deps.images.ensure(spec.image, {
            auth: spec.registryAuth ?? this.deps.defaultAuth?.(),
            policy: spec.pullPolicy ?? 'if-not-present',
            onProgress: (p) => this.deps.progress?.(this.id, spec.image, p),
          });
        } catch (err) {
          throw new TaskFailure(`image ${spec.image}: ${message(err)}`);
        }
      }
      if (this.stopping) return false;
      this.checkLimits();
      this.setStatus('starting', { imageDigest: this.image.digest });
      await this.prepareAndStart(this.image);
      this.setStatus('running', { pid: this.status.pid, ip: this.network?.ip, startedAt: this.now(), exitCode: undefined, finishedAt: undefined, reason: undefined });
      this.startHealthProbe();
      return true;
    } catch (err) {
      this.permanentFailure = err instanceof TaskFailure;
      this.setStatus('failed', { reason: message(err), pid: undefined });
      this.deps.log?.(`task ${this.id}: failed: ${message(err)}`);
      return false;
    }
  }

  private checkLimits(): void {
    const resources = this.spec.resources ?? {};
    const { capacity } = this.deps;
    if (resources.cpuMillis !== undefined && resources.cpuMillis > capacity.cpuMillis) {
      throw new TaskFailure(`cpu limit ${resources.cpuMillis / 1000} exceeds this node's ${capacity.cpuMillis / 1000} CPUs`);
    }
    if (resources.memoryBytes !== undefined && resources.memoryBytes > capacity.memoryBytes) {
      throw new TaskFailure(`memory limit ${resources.memoryBytes} bytes exceeds this node's ${capacity.memoryBytes} bytes`);
    }
    if (resources.memoryBytes !== undefined && resources.memoryBytes < MIN_MEMORY_BYTES) {
      throw new TaskFailure(`memory limit ${resources.memoryBytes} bytes is below the minimum of ${MIN_MEMORY_BYTES} bytes (6 MiB)`);
    }
    if (this.spec.healthCheck?.type === 'tcp' && this.spec.healthCheck.port === undefined) {
      throw new TaskFailure('a tcp health check needs a port');
    }
    if (this.spec.healthCheck?.type === 'exec' && !this.spec.healthCheck.command?.length) {
      throw new TaskFailure('an exec health check needs a command');
    }
  }

  private async prepareAndStart(image: ImageInfo): Promise<void> {
    const { layout } = this.deps;
    const spec = this.spec;
    const id = this.id;
    await mkdir(layout.dir(id), { recursive: true });
    await makeTraversable(layout.runDir, layout.bundle(id));
    await rm(layout.exitFile(id), { force: true });
    // A leftover of an earlier run of this task (the runtime's state; the upper dir stays).
    if (this.deps.runtime.hasState?.(id) ?? true) await this.deps.runtime.delete(id, true).catch(() => undefined);

    const mode = spec.network ?? 'bridge';
    const hardened = spec.isolation === 'hardened';
    const hostId = hardened ? await this.deps.idRanges.acquire(id) : undefined;
    // The network and the root filesystem do not depend on each other: prepare both at once.
    await Promise.all([
      this.network
        ? undefined
        : this.deps.network.setup(id, mode, spec.ports ?? []).then(async (network) => {
            this.network = network;
            await this.persist();
          }),
      this.deps.rootfs.prepare(id, image, layout.rootfs(id), hostId !== undefined ? { idmap: { hostId, size: USERNS_SIZE } } : {}),
    ]);

    let user;
    try {
      user = resolveContainerUser(layout.rootfs(id), spec.user ?? image.user);
    } catch (err) {
      if (err instanceof UnknownUserError) throw new TaskFailure(err.message);
      throw err;
    }
    const args = [...(spec.command ?? image.entrypoint), ...(spec.args ?? (spec.command ? [] : image.cmd))];
    if (args.length === 0) throw new TaskFailure('no command: the image has no entrypoint or cmd, and the task gives none');
    const cwd = spec.workingDir || image.workingDir || '/';
    if (!isAbsolute(cwd)) throw new TaskFailure(`working directory ${cwd} is not absolute`);
    const hostname = spec.hostname ?? id.slice(0, 63);
    const env = mergeEnv(image.env, spec.env ?? {}, { HOSTNAME: hostname, HOME: user.home });

    const etc = this.writeEtc(hostname);
    const idMap = (hostID: number): IdMapping[] => [{ containerID: 0, hostID, size: USERNS_SIZE }];
    const ociSpec = buildOciSpec({
      id,
      hostname,
      rootfs: layout.rootfs(id),
      args,
      env,
      cwd,
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      readOnlyRootfs: spec.readOnlyRootfs ?? false,
      network: { mode, netnsPath: this.network?.netnsPath },
      resources: spec.resources ?? {},
      cgroupsPath: this.cgroupPath,
      isolation: spec.isolation ?? 'default',
      userNamespace: hostId !== undefined ? { uidMappings: idMap(hostId), gidMappings: idMap(hostId) } : undefined,
      etcDir: mode === 'none' ? undefined : layout.etcDir(id),
      maxOpenFiles: MAX_OPEN_FILES,
    });
    await Promise.all([etc, writeFile(layout.configJson(id), JSON.stringify(ociSpec))]);
    const pid = await this.deps.runtime.start(id, {
      bundle: layout.bundle(id),
      logFile: layout.logFile(id),
      exitFile: layout.exitFile(id),
      monitorPidFile: layout.monitorPidFile(id),
      oomFile: this.deps.oomFile(this.cgroupPath),
    });
    this.monitorPid = await readPid(layout.monitorPidFile(id));
    this.status.pid = pid;
  }

  private async writeEtc(hostname: string): Promise<void> {
    const dir = this.deps.layout.etcDir(this.id);
    await mkdir(dir, { recursive: true });
    const ip = this.network?.ip;
    await writeFile(`${dir}/hostname`, `${hostname}\n`);
    await writeFile(`${dir}/hosts`, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip ? `${ip}\t${hostname}\n` : `127.0.1.1\t${hostname}\n`}`);
    const hostResolvConf = existsSync('/etc/resolv.conf') ? await readFile('/etc/resolv.conf', 'utf8') : '';
    await writeFile(`${dir}/resolv.conf`, containerResolvConf(this.network?.mode ?? 'none', hostResolvConf));
  }

  private startHealthProbe(): void {
    const check = this.spec.healthCheck;
    if (!check) return;
    this.health = new HealthProbe(check, {
      exec: (command, timeoutMs) => this.deps.runtime.exec(this.id, command, { timeoutMs }).then((r) => r.exitCode === 0 && !r.timedOut),
      address: () => (this.network?.mode === 'bridge' ? this.network.ip : this.network?.mode === 'host' ? '127.0.0.1' : undefined),
      onChange: (health: HealthState) => this.setStatus(this.status.state, { health }),
    });
    this.setStatus(this.status.state, { health: 'starting' });
    this.health.start();
  }

  /** Resolves with the exit record, or undefined once the task is being removed. */
  private async waitForExit(): Promise<ExitRecord | undefined> {
    if (this.stopping) return undefined;
    const controller = new AbortController();
    this.wake = () => controller.abort();
    try {
      return await waitForExitFile(this.deps.layout.exitFile(this.id), controller.signal, () => (this.monitorPid ? isAlive(this.monitorPid) : true));
    } finally {
      this.wake = undefined;
    }
  }

  /** After an agent restart: the container may still run under its monitor, or have exited meanwhile. */
  private async adopt(): Promise<ExitRecord | 'finished' | undefined> {
    if (['exited', 'oom-killed'].includes(this.status.state) || (this.status.state === 'failed' && !this.monitorPid)) {
      // It ended before the agent restarted and its restart policy let it be.
      this.setStatus(this.status.state, {});
      return 'finished';
    }
    const exitFile = this.deps.layout.exitFile(this.id);
    if (existsSync(exitFile)) return JSON.parse(await readFile(exitFile, 'utf8')) as ExitRecord;
    if (this.status.state === 'running' && this.monitorPid && isAlive(this.monitorPid)) {
      this.deps.log?.(`task ${this.id}: re-adopted running container (monitor pid ${this.monitorPid})`);
      this.setStatus('running', {});
      this.startHealthProbe();
      return this.waitForExit();
    }
    if (this.status.state === 'running' || this.status.state === 'starting') {
      await this.deps.runtime.delete(this.id, true).catch(() => undefined);
      return { exitCode: 255, signal: null, oomKilled: false, startedAt: this.status.startedAt ?? this.now(), finishedAt: this.now(), lost: true };
    }
    return undefined;
  }

  private async stopContainer(): Promise<void> {
    const grace = this.spec.stopGracePeriodMs ?? DEFAULT_GRACE_MS;
    this.setStatus('stopping', {});
    const exitFile = this.deps.layout.exitFile(this.id);
    const alive = () => (this.monitorPid ? isAlive(this.monitorPid) : false);
    await this.deps.runtime.kill(this.id, 'TERM').catch(() => undefined);
    const graceful = await waitForExitFile(exitFile, AbortSignal.timeout(grace), alive).catch(() => undefined);
    if (!graceful) {
      await this.deps.runtime.kill(this.id, 'KILL', true).catch(() => undefined);
      await waitForExitFile(exitFile, AbortSignal.timeout(10_000), alive).catch(() => undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  private setStatus(state: TaskState, changes: Partial<TaskStatus>): void {
    const next: TaskStatus = { ...this.status, ...changes, state, at: this.now() };
    for (const key of Object.keys(next) as (keyof TaskStatus)[]) if (next[key] === undefined) delete next[key];
    if (state !== 'running' && state !== 'stopping') delete next.health;
    this.status = next;
    this.deps.report(next);
    if (state !== 'removed') void this.persist();
  }

  private async persist(): Promise<void> {
    if (!existsSync(this.deps.layout.dir(this.id))) await mkdir(this.deps.layout.dir(this.id), { recursive: true });
    await writeJsonAtomic(this.deps.layout.recordFile(this.id), this.record()).catch(() => undefined);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

export function mergeEnv(imageEnv: string[], taskEnv: Record<string, string>, defaults: Record<string, string>): string[] {
  const env = new Map<string, string>();
  env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  for (const [key, value] of Object.entries(defaults)) env.set(key, value);
  for (const entry of imageEnv) {
    const i = entry.indexOf('=');
    if (i > 0) env.set(entry.slice(0, i), entry.slice(i + 1));
  }
  for (const [key, value] of Object.entries(taskEnv)) env.set(key, value);
  return [...env].map(([key, value]) => `${key}=${value}`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates DIR (and the parents up from BASE) with mode 0711: traversable by the unprivileged host
 * uid of a hardened container's root, not listable.
 */
async function makeTraversable(base: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const parts = relative(base, dir).split(sep).filter(Boolean);
  let path = base;
  await chmod(base, 0o711);
  for (const part of parts) {
    path = join(path, part);
    await chmod(path, 0o711);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
