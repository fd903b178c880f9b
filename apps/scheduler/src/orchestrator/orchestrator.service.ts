import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  AgentTaskSpec,
  NodeHeartbeatEvent,
  NodeStateEvent,
  ServiceAction,
  ServiceSpec,
  ServiceTask,
  ServiceView,
  Subjects,
  TaskStatus,
} from '@silo/contracts';
import { NatsClient, NatsConnectionService } from '@silo/messaging';
import { createHash, randomBytes } from 'node:crypto';
import type { Subscription } from 'nats';
import { SchedulerConfig } from '../config/scheduler.config';
import { NodeEntity } from '../nodes/node.entity';
import { NodeEvents } from '../nodes/node-events';
import { NodeRepository } from '../nodes/node.repository';
import { ClusterModel, currentSpec, emptyModel, NodeModel, ServiceModel, TaskModel } from './model';
import { DEFAULT_RECONCILE_SETTINGS, IdSource, reconcile, ReconcileSettings } from './reconcile';
import { SchedulerStore } from './scheduler.store';
import { serviceChangedEvent, serviceTasks, serviceView } from './views';

const decoder = new TextDecoder();

/** Whether this replica acts (the leader) or stands by; a single scheduler always leads. */
export abstract class LeadershipGate {
  abstract isLeader(): boolean;
  abstract onChange(listener: (leader: boolean) => void): void | (() => void);
}

export class AlwaysLeader extends LeadershipGate {
  isLeader(): boolean {
    return true;
  }
  onChange(): void {}
}

export const taskIds: IdSource = {
  taskId(service: ServiceModel, slot: string): string {
    const shortSlot = /^\d+$/.test(slot) ? slot : createHash('sha256').update(slot).digest('hex').slice(0, 6);
    return `${service.name.slice(0, 40)}.${shortSlot}.${randomBytes(4).toString('hex')}`;
  },
};

/**
 * The scheduler's loop. Holds the cluster model in memory (loaded from the database at start,
 * written behind in batches), takes heartbeats, task-state events and registrations, runs the
 * pure reconciler when something changed (and every second, to notice silent nodes), pushes each
 * agent whose desired set moved its whole set (and every node periodically), and persists.
 */
/** Task states on the way to running or stopped, reported within milliseconds of each other. */
const TRANSIENT_STATES = new Set(['pulling', 'starting', 'stopping']);

@Injectable()
export class OrchestratorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrchestratorService.name);
  readonly model: ClusterModel = emptyModel();
  private readonly subscriptions: Subscription[] = [];
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private dirty = true;
  private running = false;
  private readonly dirtyTasks = new Set<string>();
  private readonly deletedTasks = new Set<string>();
  private readonly pushed = new Map<string, { hash: string; at: number }>();
  private generationSeq = 0;
  /** Tasks per node, rebuilt every round (heartbeats look up their node's tasks here). */
  private tasksByNode = new Map<string, TaskModel[]>();
  private lastRunMs = 0;
  private leaderSinceMs = 0;
  private loaded?: Promise<void>;
  private readonly settings: ReconcileSettings;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly config: SchedulerConfig,
    private readonly store: SchedulerStore,
    private readonly nats: NatsClient,
    private readonly connection: NatsConnectionService,
    private readonly nodeEvents: NodeEvents,
    private readonly leadership: LeadershipGate,
    private readonly nodes: NodeRepository,
  ) {
    this.settings = { ...DEFAULT_RECONCILE_SETTINGS, nodeDownAfterMs: config.nodeDownAfterMs };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.loaded = this.load();
    await this.loaded;
    this.nodeEvents.onRegistered((node) => this.registered(node));
    this.leaderSinceMs = Date.now();
    this.leadership.onChange((leader) => {
      if (leader) {
        this.leaderSinceMs = Date.now();
        this.logger.log('leading: reconciling the cluster');
        void this.load().then(() => this.markDirty());
      }
    });
    void this.connection.ready().then(
      (nc) => {
        this.subscriptions.push(
          nc.subscribe(Subjects.heartbeatEvent, { callback: (_e, msg) => this.onEvent(msg.data, (d) => this.heartbeat(d as NodeHeartbeatEvent)) }),
          nc.subscribe(Subjects.taskStateEvent, { callback: (_e, msg) => this.onEvent(msg.data, (d) => this.taskState(d as TaskStatus)) }),
          // Registrations are served by any replica (queue group): the one that took it tells its
          // own model in-process, the others (the leader among them) learn it from this broadcast.
          nc.subscribe(Subjects.nodeRegisteredEvent, { callback: (_e, msg) => this.onEvent(msg.data, (d) => void this.registeredElsewhere(d as { nodeId?: unknown })) }),
        );
      },
      () => undefined,
    );
    this.timer = setInterval(() => void this.tick(), this.config.reconcileIntervalMs);
    this.flushTimer = setInterval(() => void this.flush(), 250);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.flushTimer);
    for (const s of this.subscriptions) s.unsubscribe();
    await this.flush();
  }

  /** Resolves after the next reconciliation round has run (tests, API replies that want fresh state). */
  nextRound(): Promise<void> {
    this.markDirty();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  markDirty(): void {
    this.dirty = true;
  }

  // ---- API (called by the controller) ----

  async ready(): Promise<void> {
    await this.loaded;
  }

  serviceByName(name: string): ServiceModel | undefined {
    for (const service of this.model.services.values()) if (service.name === name) return service;
    return undefined;
  }

  async saveService(service: ServiceModel): Promise<void> {
    this.model.services.set(service.id, service);
    await this.store.saveService(service);
    this.markDirty();
  }

  async removeService(service: ServiceModel): Promise<void> {
    this.model.services.delete(service.id);
    await this.store.deleteService(service.id);
    this.markDirty();
  }

  async updateNode(nodeId: string, availability: NodeModel['availability'] | undefined, add: Record<string, string>, remove: string[]): Promise<NodeModel | undefined> {
    const node = this.model.nodes.get(nodeId);
    if (!node) return undefined;
    if (availability) node.availability = availability;
    for (const [k, v] of Object.entries(add)) node.adminLabels[k] = v;
    for (const k of remove) delete node.adminLabels[k];
    await this.store.saveNodeAdmin(nodeId, node.availability, node.adminLabels);
    this.markDirty();
    return node;
  }

  view(service: ServiceModel): ServiceView {
    return serviceView(this.model, service);
  }

  tasksOf(service: ServiceModel): ServiceTask[] {
    return serviceTasks(this.model, service);
  }

  /** Broadcasts what ACTION did to SERVICE (only the leader speaks for the cluster). */
  serviceChanged(service: ServiceModel, action: ServiceAction): void {
    this.publishEvent(Subjects.serviceEvent, serviceChangedEvent(this.view(service), action));
  }

  private nodeChanged(node: NodeModel, state: NodeStateEvent['state']): void {
    const event: NodeStateEvent = { nodeId: node.nodeId, hostname: node.hostname, state };
    this.publishEvent(Subjects.nodeStateEvent, event);
  }

  // ---- intake ----

  private onEvent(bytes: Uint8Array, handle: (data: unknown) => void): void {
    try {
      const envelope = JSON.parse(decoder.decode(bytes)) as { data?: unknown };
      if (envelope.data && typeof envelope.data === 'object') handle(envelope.data);
    } catch {
      // not ours to crash on
    }
  }

  private registered(entity: NodeEntity): void {
    const node = this.ensureNode(entity.nodeId);
    node.hostname = entity.hostname;
    node.os = entity.os;
    node.arch = entity.arch;
    node.capacity = { ...node.capacity, cpuMillis: entity.cpuMillis, memoryBytes: entity.memoryBytes };
    node.agentLabels = entity.labels;
    node.lastSeenMs = Date.now();
    node.heardMs = node.lastSeenMs;
    if (node.state === 'down') {
      node.state = 'ready';
      this.nodeChanged(node, 'ready');
    }
    this.pushed.delete(node.nodeId);
    this.markDirty();
  }

  private async registeredElsewhere(event: { nodeId?: unknown }): Promise<void> {
    if (typeof event.nodeId !== 'string') return;
    try {
      const entity = await this.nodes.find(event.nodeId);
      if (entity) this.registered(entity);
    } catch (err) {
      this.logger.error(`reading node ${event.nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private ensureNode(nodeId: string): NodeModel {
    let node = this.model.nodes.get(nodeId);
    if (!node) {
      node = {
        nodeId,
        hostname: nodeId,
        os: 'linux',
        arch: 'amd64',
        capacity: { cpuMillis: 0, memoryBytes: 0, pids: 0 },
        agentLabels: {},
        adminLabels: {},
        availability: 'active',
        state: 'ready',
        lastSeenMs: Date.now(),
        layers: new Set(),
        reported: new Map(),
      };
      this.model.nodes.set(nodeId, node);
    }
    return node;
  }

  private heartbeat(beat: NodeHeartbeatEvent): void {
    if (typeof beat.nodeId !== 'string' || !beat.capacity) return;
    // Only nodes that joined (registered with a valid token) count; the rest are ignored.
    if (!this.model.nodes.has(beat.nodeId)) return;
    const known = true;
    const node = this.ensureNode(beat.nodeId);
    node.lastSeenMs = Date.now();
    node.lastHeartbeatMs = node.lastSeenMs;
    node.heardMs = node.lastSeenMs;
    node.capacity = beat.capacity;
    node.reportedAllocatable = beat.allocatable;
    node.agentLabels = beat.labels ?? {};
    node.layers = new Set((beat.images ?? []).flatMap((i) => i.layers));
    node.images = new Map((beat.images ?? []).map((i) => [i.reference, i.layers]));
    node.reported = new Map((beat.tasks ?? []).map((t) => [t.taskId, t.state]));
    let changed = !known;
    if (node.state === 'down') {
      node.state = 'ready';
      changed = true;
      this.pushed.delete(node.nodeId);
      this.logger.log(`node ${node.hostname} is back`);
      this.nodeChanged(node, 'ready');
    }
    // Level-triggered catch-up: a lost task-state event is repaired by the next heartbeat.
    for (const reported of beat.tasks ?? []) {
      const task = this.model.tasks.get(reported.taskId);
      if (task && task.nodeId === node.nodeId && task.state !== reported.state && !(task.state === 'lost' && task.desired === 'shutdown')) {
        task.state = reported.state;
        if (reported.state === 'running') task.runningSinceMs ??= Date.now();
        this.taskChanged(task);
        changed = true;
      }
    }
    // A task we assigned that the node no longer has (and that is past assignment) is gone.
    for (const task of this.tasksByNode.get(node.nodeId) ?? []) {
      if (task.nodeId !== node.nodeId || node.reported.has(task.taskId) || !this.model.tasks.has(task.taskId)) continue;
      if (task.desired === 'shutdown' && task.state !== 'removed' && task.state !== 'lost' && Date.now() - task.updatedMs > 2000) {
        task.state = 'removed';
        this.taskChanged(task);
        changed = true;
      }
    }
    if (changed) this.markDirty();
  }

  private taskState(status: TaskStatus): void {
    const task = this.model.tasks.get(status.taskId);
    if (!task || task.nodeId !== status.nodeId) return;
    if (task.state === 'lost' && task.desired === 'shutdown') return;
    task.state = status.state;
    task.health = status.health;
    task.exitCode = status.exitCode;
    task.reason = status.reason;
    if (status.state === 'running') task.runningSinceMs ??= Date.now();
    else if (status.state !== 'stopping') task.runningSinceMs = undefined;
    // Passing states are not written: after a restart the agents' reports bring them back anyway,
    // and a deploy's 3 events per task would otherwise be 3 database rows.
    if (TRANSIENT_STATES.has(status.state)) task.updatedMs = Date.now();
    else this.taskChanged(task);
    this.markDirty();
  }

  private taskChanged(task: TaskModel): void {
    task.updatedMs = Date.now();
    this.dirtyTasks.add(task.taskId);
  }

  // ---- the loop ----

  private async tick(): Promise<void> {
    if (this.running) return;
    const now = Date.now();
    if (!this.leadership.isLeader()) return;
    if (!this.dirty && now - this.lastRunMs < 1000) return;
    this.lastRunMs = now;
    this.running = true;
    try {
      const result = reconcile(this.model, now, taskIds, { ...this.settings, notBeforeMs: this.leaderSinceMs + this.settings.nodeDownAfterMs });
      this.dirty = false;
      for (const id of result.changedTasks) this.dirtyTasks.add(id);
      for (const id of result.deletedTasks) {
        this.dirtyTasks.delete(id);
        this.deletedTasks.add(id);
      }
      for (const { nodeId, state } of result.nodeTransitions) {
        this.logger.warn(`node ${this.model.nodes.get(nodeId)?.hostname ?? nodeId} is ${state}: no heartbeat for ${this.settings.nodeDownAfterMs} ms`);
        const node = this.model.nodes.get(nodeId);
        if (node) this.nodeChanged(node, state);
      }
      for (const id of result.changedServices) {
        const service = this.model.services.get(id);
        if (service) {
          void this.store.saveService(service).catch((err) => this.logger.error(`saving service ${service.name}: ${String(err)}`));
          this.serviceChanged(service, 'rollout');
        }
      }
      for (const id of result.savedServices) {
        const service = result.changedServices.has(id) ? undefined : this.model.services.get(id);
        if (service) void this.store.saveService(service).catch((err) => this.logger.error(`saving service ${service.name}: ${String(err)}`));
      }
      const byNode = new Map<string, TaskModel[]>();
      for (const task of this.model.tasks.values()) {
        if (!task.nodeId) continue;
        const list = byNode.get(task.nodeId);
        if (list) list.push(task);
        else byNode.set(task.nodeId, [task]);
      }
      this.tasksByNode = byNode;
      this.push(result.changedNodes, now);
    } catch (err) {
      this.logger.error(`reconcile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    } finally {
      this.running = false;
      for (const resolve of this.waiters) resolve();
      this.waiters.clear();
    }
  }

  /** Sends each changed node (and every node due for a resync) its whole desired set. */
  private push(changed: Set<string>, now: number): void {
    for (const node of this.model.nodes.values()) {
      if (node.state !== 'ready') continue;
      const last = this.pushed.get(node.nodeId);
      const resync = !last || now - last.at >= this.config.resyncIntervalMs;
      if (!resync && !changed.has(node.nodeId)) continue;
      // Only for the nodes that may need it: a round does not rebuild every node's set.
      const tasks: AgentTaskSpec[] = [];
      for (const task of this.tasksByNode.get(node.nodeId) ?? []) {
        if (task.desired === 'shutdown' || task.nodeId !== node.nodeId || !this.model.tasks.has(task.taskId)) continue;
        const service = this.model.services.get(task.serviceId);
        if (!service) continue;
        tasks.push(agentTask(task, service, service.specs.get(task.version) ?? currentSpec(service)));
      }
      const hash = createHash('sha256').update(tasks.map((t) => t.taskId).sort().join(',')).digest('hex');
      if (!resync && last && last.hash === hash) continue;
      this.pushed.set(node.nodeId, { hash, at: now });
      const generation = now * 1000 + (this.generationSeq++ % 1000);
      this.nats
        .command(Subjects.agentTasksSet(node.nodeId), { generation, tasks }, { timeoutMs: 5000 })
        .catch((err: unknown) => {
          // Unreachable now: the next round or resync tries again.
          this.pushed.delete(node.nodeId);
          if (node.state === 'ready') this.logger.debug?.(`push to ${node.nodeId} failed: ${err instanceof Error ? err.message : String(err)}`);
        });
    }
  }

  private async flush(): Promise<void> {
    if (this.dirtyTasks.size === 0 && this.deletedTasks.size === 0) return;
    if (!this.leadership.isLeader()) {
      // Only the leader writes; a standby reloads everything when it takes over.
      this.dirtyTasks.clear();
      this.deletedTasks.clear();
      return;
    }
    const tasks = [...this.dirtyTasks].map((id) => this.model.tasks.get(id)).filter((t): t is TaskModel => t !== undefined);
    const deleted = [...this.deletedTasks];
    this.dirtyTasks.clear();
    this.deletedTasks.clear();
    try {
      await this.store.saveTasks(tasks, deleted);
    } catch (err) {
      for (const t of tasks) this.dirtyTasks.add(t.taskId);
      for (const d of deleted) this.deletedTasks.add(d);
      this.logger.error(`saving tasks failed (will retry): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async load(): Promise<void> {
    const state = await this.store.load();
    this.model.services.clear();
    this.model.tasks.clear();
    for (const service of state.services) this.model.services.set(service.id, service);
    for (const task of state.tasks) this.model.tasks.set(task.taskId, task);
    for (const entity of state.nodes) {
      const node = this.ensureNode(entity.nodeId);
      node.hostname = entity.hostname;
      node.os = entity.os;
      node.arch = entity.arch;
      if (node.capacity.cpuMillis === 0) node.capacity = { cpuMillis: entity.cpuMillis, memoryBytes: entity.memoryBytes, pids: 0 };
      node.agentLabels = { ...entity.labels, ...node.agentLabels };
      node.adminLabels = entity.adminLabels ?? {};
      node.availability = (entity.availability ?? 'active') as NodeModel['availability'];
    }
  }

  /** Events are broadcast (no queue group), and only by the leader: a standby would repeat them. */
  private publishEvent(subject: string, payload: object): void {
    if (!this.leadership.isLeader()) return;
    try {
      this.nats.publish(subject, payload);
    } catch {
      // disconnected
    }
  }
}

/** What the agent runs for one task. */
export function agentTask(task: TaskModel, service: ServiceModel, spec: ServiceSpec): AgentTaskSpec {
  const r = spec.resources ?? {};
  const restartPolicy = service.mode === 'job' ? { name: 'no' as const } : (spec.restartPolicy ?? { name: 'always' as const });
  return {
    taskId: task.taskId,
    image: spec.image,
    ...(spec.registryAuth ? { registryAuth: spec.registryAuth } : {}),
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.args ? { args: spec.args } : {}),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
    ...(spec.user ? { user: spec.user } : {}),
    resources: {
      ...(r.cpuLimitMillis ? { cpuMillis: r.cpuLimitMillis } : {}),
      ...(r.memoryLimitBytes ? { memoryBytes: r.memoryLimitBytes } : {}),
      ...(r.pids ? { pids: r.pids } : {}),
    },
    network: spec.network ?? 'bridge',
    // The service's replicas on one node share its published ports (spread over them).
    ...(spec.ports ? { ports: spec.ports.map((p) => ({ ...p, shareGroup: service.id })) } : {}),
    restartPolicy,
    ...(spec.healthCheck ? { healthCheck: spec.healthCheck } : {}),
    ...(spec.isolation ? { isolation: spec.isolation } : {}),
    ...(spec.readOnlyRootfs ? { readOnlyRootfs: spec.readOnlyRootfs } : {}),
    ...(spec.stopGracePeriodMs !== undefined ? { stopGracePeriodMs: spec.stopGracePeriodMs } : {}),
    hostname: `${service.name}-${task.slot.slice(0, 20)}`,
    labels: { 'silo.service': service.name, 'silo.slot': task.slot, 'silo.version': String(task.version) },
  };
}
