import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AgentTaskSetReply, AgentTaskSetRequest, AgentTaskSpec, ImagePullProgressEvent, Subjects, TaskStatus } from '@silo/contracts';
import { NatsClient } from '@silo/messaging';
import { AdminCredentialsStore, ServiceIdentity } from '@silo/service-kit';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NodeAgentConfig } from '../config/node-agent.config';
import { CgroupStatsReader } from '../host/cgroup-stats.reader';
import { HostInfo } from '../host/host-info';
import { ContainerRuntime } from '../runtime/container-runtime';
import { writeJsonAtomic } from '../host/atomic-json';
import { ContainerLayout } from './container-layout';
import { IdRangeAllocator } from './id-range.allocator';
import { ImageProvider, NetworkProvider, RootfsProvider } from './task-ports';
import { TaskRecord, TaskSupervisor } from './task-supervisor';

interface DesiredFile {
  generation: number;
  tasks: AgentTaskSpec[];
}

/** Keys in a stable order, so equal specs hash equal. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function specHash(spec: AgentTaskSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex');
}

/**
 * The node's desired task set and the supervisors that make the host match it. Level-triggered:
 * every set is compared with what runs; the same set twice changes nothing; a changed spec
 * replaces its container; a task that left the set is stopped and removed. The set and every
 * task's record are kept on disk, so a restarted agent re-adopts its containers.
 */
@Injectable()
export class TaskSetService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskSetService.name);
  private readonly supervisors = new Map<string, TaskSupervisor>();
  /** Per-task queue of lifecycle operations (remove, then create again). */
  private readonly chains = new Map<string, Promise<void>>();
  private generation = -1;
  private readonly layout: ContainerLayout;
  private readonly desiredFile: string;
  private readonly idRanges: IdRangeAllocator;
  private readonly cgroups: CgroupStatsReader;
  /** The host's CPUs and memory (fixed while the agent runs): the ceiling of any task's limits. */
  private readonly capacity: { cpuMillis: number; memoryBytes: number };
  private readonly listeners = new Set<(status: TaskStatus) => void>();
  private shuttingDown = false;
  private desiredWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: NodeAgentConfig,
    private readonly identity: ServiceIdentity,
    host: HostInfo,
    private readonly nats: NatsClient,
    private readonly runtime: ContainerRuntime,
    private readonly images: ImageProvider,
    private readonly rootfs: RootfsProvider,
    private readonly network: NetworkProvider,
  ) {
    this.layout = new ContainerLayout(join(config.agentHome, 'containers'), config.runDir ?? join('/run/silo', identity.instance));
    this.desiredFile = join(config.agentHome, 'desired.json');
    this.idRanges = new IdRangeAllocator(join(config.agentHome, 'id-ranges.json'), config.usernsBase);
    const facts = host.facts();
    this.cgroups = new CgroupStatsReader(facts.cgroupMode);
    this.capacity = { cpuMillis: facts.cpuMillis, memoryBytes: facts.memoryBytes };
    mkdirSync(this.layout.containersDir, { recursive: true });
  }

  get nodeId(): string {
    return this.identity.instance;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  containerLayout(): ContainerLayout {
    return this.layout;
  }

  cgroupReader(): CgroupStatsReader {
    return this.cgroups;
  }

  async onApplicationBootstrap(): Promise<void> {
    const records = this.loadRecords();
    await this.network.restore(records.filter((r) => r.status.state !== 'removed').map((r) => r.spec.taskId)).catch((err) => {
      this.logger.warn(`network restore failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    for (const record of records) {
      const supervisor = this.newSupervisor(record.spec, record.specHash, record);
      this.supervisors.set(record.spec.taskId, supervisor);
      supervisor.begin(true);
    }
    if (records.length > 0) this.logger.log(`re-adopted ${records.length} task(s) from ${this.layout.containersDir}`);
    const desired = this.loadDesired();
    if (desired) this.apply(desired, true);
  }

  async onApplicationShutdown(): Promise<void> {
    // Containers outlive the agent (their monitors hold them); only the supervision stops.
    this.shuttingDown = true;
    const containers = this.supervisors.size;
    for (const supervisor of this.supervisors.values()) supervisor.detach();
    if (containers > 0) return;
    // No container left: the host keeps nothing of this node — no bridge, no chains, no run dir.
    await this.network.release().catch((err: unknown) => this.logger.warn(`could not remove the node's network: ${err instanceof Error ? err.message : String(err)}`));
    for (const dir of [this.layout.runDir, ...(dirname(this.layout.runDir) === '/run/silo' ? ['/run/silo'] : [])]) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty (another agent's, or containers) or already gone
      }
    }
  }

  /** Makes the desired set the node's target. Returns at once; the work goes on in the background. */
  apply(request: AgentTaskSetRequest, fromDisk = false): AgentTaskSetReply {
    if (request.generation < this.generation) {
      return { generation: this.generation, applied: false, tasks: this.statuses() };
    }
    this.generation = request.generation;
    if (!fromDisk) {
      const desired: DesiredFile = { generation: request.generation, tasks: request.tasks };
      // In order: a slow older write must never land after a newer one.
      this.desiredWrite = this.desiredWrite.then(() => writeJsonAtomic(this.desiredFile, desired)).catch((err) => {
        this.logger.error(`cannot save the desired set: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    const wanted = new Map(request.tasks.map((t) => [t.taskId, t]));
    for (const [id, supervisor] of this.supervisors) {
      const spec = wanted.get(id);
      if (!spec) this.enqueue(id, () => this.removeTask(id, supervisor));
      else if (specHash(spec) !== supervisor.specHash) {
        this.enqueue(id, async () => {
          await this.removeTask(id, supervisor);
          this.startTask(spec);
        });
      }
    }
    for (const [id, spec] of wanted) {
      if (!this.supervisors.has(id)) this.enqueue(id, async () => this.startTask(spec));
    }
    return { generation: this.generation, applied: true, tasks: this.statuses() };
  }

  statuses(): TaskStatus[] {
    return [...this.supervisors.values()].map((s) => s.status);
  }

  supervisor(taskId: string): TaskSupervisor | undefined {
    return this.supervisors.get(taskId);
  }

  /** Status changes, for tests and the heartbeat. */
  onStatus(listener: (status: TaskStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every queued lifecycle operation has run (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
    await this.desiredWrite;
  }

  private startTask(spec: AgentTaskSpec): void {
    if (this.shuttingDown || this.supervisors.has(spec.taskId)) return;
    const supervisor = this.newSupervisor(spec, specHash(spec));
    this.supervisors.set(spec.taskId, supervisor);
    supervisor.begin(false);
  }

  private async removeTask(id: string, supervisor: TaskSupervisor): Promise<void> {
    await supervisor.remove();
    if (this.supervisors.get(id) === supervisor) this.supervisors.delete(id);
  }

  private enqueue(id: string, work: () => Promise<void>): void {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.then(work).catch((err) => this.logger.error(`task ${id}: ${err instanceof Error ? err.message : String(err)}`));
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }

  private newSupervisor(spec: AgentTaskSpec, hash: string, previous?: TaskRecord): TaskSupervisor {
    return new TaskSupervisor(
      spec,
      hash,
      {
        nodeId: this.nodeId,
        layout: this.layout,
        images: this.images,
        rootfs: this.rootfs,
        network: this.network,
        runtime: this.runtime,
        report: (status) => this.report(status),
        progress: (taskId, reference, p) => this.publish(Subjects.imageProgressEvent, { nodeId: this.nodeId, taskId, reference, ...p } satisfies ImagePullProgressEvent),
        capacity: this.capacity,
        cgroupParent: `/silo/${this.nodeId}`,
        oomFile: (path) => this.cgroups.oomFile(path),
        defaultAuth: () => this.defaultAuth(),
        idRanges: this.idRanges,
        log: (message) => this.logger.log(message),
      },
      previous,
    );
  }

  private defaultAuth(): { username: string; password: string } | undefined {
    const creds = new AdminCredentialsStore(this.config.home).tryRead();
    return creds ? { username: creds.username, password: creds.password } : undefined;
  }

  private report(status: TaskStatus): void {
    this.publish(Subjects.taskStateEvent, status);
    for (const listener of this.listeners) listener(status);
  }

  private publish(subject: string, payload: object): void {
    try {
      this.nats.publish(subject, payload);
    } catch {
      // Not connected: the next heartbeat and task list carry the state anyway.
    }
  }

  private loadRecords(): TaskRecord[] {
    const records: TaskRecord[] = [];
    for (const id of existsSync(this.layout.containersDir) ? readdirSync(this.layout.containersDir) : []) {
      try {
        records.push(JSON.parse(readFileSync(this.layout.recordFile(id), 'utf8')) as TaskRecord);
      } catch {
        this.logger.warn(`ignoring ${this.layout.dir(id)}: no readable task.json`);
      }
    }
    return records;
  }

  private loadDesired(): AgentTaskSetRequest | undefined {
    try {
      return JSON.parse(readFileSync(this.desiredFile, 'utf8')) as DesiredFile;
    } catch {
      return undefined;
    }
  }
}
