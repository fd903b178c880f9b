import type { ServiceSpec } from '@silo/contracts';
import { ClusterSnapshot, NodeSnapshot, PlacementEngine, TaskToPlace } from '../placement';
import { ACTIVE_PHASES, ClusterModel, currentSpec, JOB_FAILURES, NodeModel, nodeLabels, ServiceModel, TaskModel, TERMINAL_PHASES } from './model';

/**
 * One level-triggered reconciliation round over the cluster model: no I/O, no clock (NOW is
 * given), deterministic for a given SEED. It mutates the model and says what changed, so the
 * orchestrator can persist the tasks and push the nodes whose desired set moved.
 *
 * Order: lost nodes → tasks for each service (scale, replacement, jobs, rolling update, drain,
 * rebalance) → placement of what is pending → retirement of replaced tasks.
 */

export interface ReconcileSettings {
  /** A node silent for this long is down and its tasks are placed elsewhere. */
  nodeDownAfterMs: number;
  /** No node is declared down before this (the leader just started and has not heard everyone). */
  notBeforeMs: number;
  /** Backoff before replacing a task that failed: min(base × 2^n, max). */
  replaceBackoffBaseMs: number;
  replaceBackoffMaxMs: number;
  /** Tasks moved per service per round when rebalancing toward even spread. */
  rebalancePerRound: number;
  seed: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = {
  nodeDownAfterMs: 3000,
  notBeforeMs: 0,
  replaceBackoffBaseMs: 500,
  replaceBackoffMaxMs: 30_000,
  rebalancePerRound: 1,
  seed: 0,
};

export interface ReconcileResult {
  changedTasks: Set<string>;
  /** Nodes whose desired set changed (push them). */
  changedNodes: Set<string>;
  nodeTransitions: { nodeId: string; state: 'ready' | 'down' }[];
  changedServices: Set<string>;
  /** Services whose stored state changed without an event to tell (a job's failed-run count). */
  savedServices: Set<string>;
  /** Tasks to forget (shut down and gone). */
  deletedTasks: Set<string>;
}

export interface IdSource {
  taskId(service: ServiceModel, slot: string): string;
}

const DEFAULT_MONITOR_MS = 5000;

export function reconcile(model: ClusterModel, now: number, ids: IdSource, settings: ReconcileSettings = DEFAULT_RECONCILE_SETTINGS): ReconcileResult {
  const result: ReconcileResult = {
    changedTasks: new Set(),
    changedNodes: new Set(),
    nodeTransitions: [],
    changedServices: new Set(),
    savedServices: new Set(),
    deletedTasks: new Set(),
  };
  const touch = (task: TaskModel): void => {
    task.updatedMs = now;
    result.changedTasks.add(task.taskId);
    if (task.nodeId) result.changedNodes.add(task.nodeId);
  };
  const round: Round = { model, now, ids, settings, result, touch };

  // 1. Lost nodes: their tasks are lost (stopped there if the node returns) and replaced.
  for (const node of model.nodes.values()) {
    if (node.state === 'ready' && now >= settings.notBeforeMs && now - node.lastSeenMs > settings.nodeDownAfterMs) {
      node.state = 'down';
      result.nodeTransitions.push({ nodeId: node.nodeId, state: 'down' });
    }
  }
  for (const task of model.tasks.values()) {
    if (!task.nodeId || task.desired !== 'running') continue;
    const node = model.nodes.get(task.nodeId);
    if (node && node.state === 'ready') continue;
    task.desired = 'shutdown';
    task.state = 'lost';
    task.reason = node ? `node ${node.hostname} is down` : `node ${task.nodeId} is gone`;
    touch(task);
  }

  // 2. Tasks per service.
  const byService = groupTasks(model);
  for (const service of model.services.values()) {
    const tasks = byService.get(service.id) ?? [];
    if (service.mode === 'job') reconcileJob(round, service, tasks);
    else reconcileService(round, service, tasks);
  }
  // Tasks of removed services.
  for (const task of model.tasks.values()) {
    if (!model.services.has(task.serviceId) && task.desired !== 'shutdown') {
      task.desired = 'shutdown';
      touch(task);
    }
  }

  // 3. Placement of pending tasks.
  placePending(round);

  // 4. Forget tasks that are shut down and gone from their node (or never had one).
  for (const task of [...model.tasks.values()]) {
    if (task.desired !== 'shutdown') continue;
    const node = task.nodeId ? model.nodes.get(task.nodeId) : undefined;
    const stillThere = node !== undefined && node.state === 'ready' && node.reported.has(task.taskId) && node.reported.get(task.taskId) !== 'removed';
    if (!stillThere && (task.state === 'removed' || task.state === 'lost' || !task.nodeId || !node || (TERMINAL_PHASES.has(task.state) && !node.reported.has(task.taskId)))) {
      if (now - task.updatedMs > 60_000 || !task.nodeId || task.state === 'removed') {
        model.tasks.delete(task.taskId);
        result.deletedTasks.add(task.taskId);
        result.changedTasks.delete(task.taskId);
      }
    }
  }
  return result;
}

type Touch = (task: TaskModel) => void;

/** What every step of one round works with. */
interface Round {
  model: ClusterModel;
  now: number;
  ids: IdSource;
  settings: ReconcileSettings;
  result: ReconcileResult;
  /** Marks a task changed (persist it, push its node). */
  touch: Touch;
}

function groupTasks(model: ClusterModel): Map<string, TaskModel[]> {
  const groups = new Map<string, TaskModel[]>();
  for (const task of model.tasks.values()) {
    let list = groups.get(task.serviceId);
    if (!list) groups.set(task.serviceId, (list = []));
    list.push(task);
  }
  return groups;
}

function newTask({ model, now, ids }: Round, service: ServiceModel, slot: string): TaskModel {
  const version = service.version;
  const task: TaskModel = {
    taskId: ids.taskId(service, slot),
    serviceId: service.id,
    slot,
    version,
    desired: 'running',
    state: 'pending',
    createdMs: now,
    updatedMs: now,
  };
  model.tasks.set(task.taskId, task);
  return task;
}

function eligible(node: NodeModel): boolean {
  return node.state === 'ready' && node.availability === 'active';
}

function failed(task: TaskModel): boolean {
  return task.state === 'failed' || task.state === 'oom-killed' || (task.state === 'exited' && task.exitCode !== 0) || task.state === 'lost';
}

function reconcileService(round: Round, service: ServiceModel, tasks: TaskModel[]): void {
  const { model, now, touch, settings } = round;
  const spec = currentSpec(service);
  const slots = new Set<string>();
  if (service.mode === 'global') {
    for (const node of model.nodes.values()) if (eligible(node) && satisfiesHard(node, spec)) slots.add(node.nodeId);
    // Keep global tasks on drained / paused nodes until they go (drain below moves them).
    for (const task of tasks) if (task.desired === 'running' && task.nodeId && model.nodes.get(task.nodeId)?.availability === 'pause') slots.add(task.slot);
  } else {
    for (let i = 1; i <= (spec.replicas ?? 1); i++) slots.add(String(i));
  }

  const bySlot = new Map<string, TaskModel[]>();
  for (const task of tasks) {
    if (task.desired !== 'running') continue;
    if (!slots.has(task.slot)) {
      // scaled down, or a global node that is no longer eligible
      if (service.mode === 'global' && task.nodeId && model.nodes.get(task.nodeId)?.state === 'down') continue;
      task.desired = 'shutdown';
      touch(task);
      continue;
    }
    const list = bySlot.get(task.slot) ?? [];
    list.push(task);
    bySlot.set(task.slot, list);
  }

  const restart = spec.restartPolicy?.name ?? 'always';
  const update = spec.updateConfig ?? {};
  const monitorMs = update.monitorMs ?? DEFAULT_MONITOR_MS;

  // Replace failed tasks (the agent already restarted in place what its policy allowed).
  for (const [slot, list] of bySlot) {
    for (const task of list) {
      if (!TERMINAL_PHASES.has(task.state) || task.replacedBy) continue;
      if (task.state === 'exited' && task.exitCode === 0 && restart !== 'always') continue;
      if (restart === 'no') continue;
      const failure = service.failures.get(slot) ?? { count: 0, retryAtMs: 0 };
      if (failure.retryAtMs === 0) {
        failure.count += 1;
        failure.retryAtMs = now + Math.min(settings.replaceBackoffMaxMs, settings.replaceBackoffBaseMs * 2 ** (failure.count - 1));
        service.failures.set(slot, failure);
      }
      if (now < failure.retryAtMs) continue;
      failure.retryAtMs = 0;
      task.desired = 'shutdown';
      touch(task);
      const next = newTask(round, service, slot);
      touch(next);
      list.splice(list.indexOf(task), 1, next);
    }
  }

  // Missing slots.
  for (const slot of slots) {
    if ((bySlot.get(slot) ?? []).length > 0) continue;
    const task = newTask(round, service, slot);
    if (service.mode === 'global') task.nodeId = undefined;
    bySlot.set(slot, [task]);
    touch(task);
  }

  // A healthy run resets the slot's failure count.
  for (const [slot, list] of bySlot) {
    if (list.some((t) => t.state === 'running' && t.runningSinceMs !== undefined && now - t.runningSinceMs > 10_000)) service.failures.delete(slot);
  }

  rollingUpdate(round, service, bySlot, monitorMs);
  drainAndRebalance(round, service, bySlot);
  retireReplaced(model, bySlot, touch);
}

/** Replaces old-version tasks batch by batch, per the service's update config. */
function rollingUpdate(round: Round, service: ServiceModel, bySlot: Map<string, TaskModel[]>, monitorMs: number): void {
  const { now, touch, result } = round;
  const spec = currentSpec(service);
  const update = spec.updateConfig ?? {};
  const parallelism = update.parallelism ?? 1;
  const order = update.order ?? 'stop-first';
  let inFlight = 0;
  let failedNew: TaskModel | undefined;
  const oldSlots: string[] = [];
  for (const [slot, list] of bySlot) {
    const current = list.filter((t) => t.version === service.version);
    const old = list.filter((t) => t.version !== service.version && !t.replacedBy);
    for (const task of current) {
      if (failed(task) && task.runningSinceMs === undefined) failedNew = task;
      else if (task.state === 'running' && task.runningSinceMs !== undefined && now - task.runningSinceMs >= monitorMs) continue;
      else if (list.length > 1 || service.rollout !== 'completed') inFlight += 1;
    }
    if (old.length > 0 && current.length === 0) oldSlots.push(slot);
  }
  if (service.rollout === 'updating' && failedNew && (update.failureAction ?? 'pause') === 'rollback' && service.previousVersion !== undefined) {
    const from = service.version;
    service.version = service.previousVersion;
    service.previousVersion = from;
    service.rollout = 'rolling-back';
    service.rolloutMessage = `task ${failedNew.taskId} of version ${from} failed (${failedNew.reason ?? failedNew.state}): rolling back to version ${service.version}`;
    service.updatedMs = now;
    result.changedServices.add(service.id);
    return;
  }
  if (service.rollout === 'updating' && failedNew) {
    service.rollout = 'paused';
    service.rolloutMessage = `task ${failedNew.taskId} failed (${failedNew.reason ?? failedNew.state}): update paused`;
    service.updatedMs = now;
    result.changedServices.add(service.id);
    return;
  }
  if (service.rollout === 'paused') return;
  if (oldSlots.length === 0) {
    if ((service.rollout === 'updating' || service.rollout === 'rolling-back') && inFlight === 0) {
      service.rollout = service.rollout === 'rolling-back' ? 'rolled-back' : 'completed';
      service.rolloutMessage = service.rollout === 'rolled-back' ? service.rolloutMessage : undefined;
      service.updatedMs = now;
      result.changedServices.add(service.id);
    }
    return;
  }
  const delay = update.delayMs ?? 0;
  if (delay > 0 && now - service.updatedMs < delay && inFlight === 0 && service.rollout === 'updating') return;
  for (const slot of oldSlots.sort()) {
    if (inFlight >= parallelism) break;
    const list = bySlot.get(slot)!;
    const next = newTask(round, service, slot);
    touch(next);
    for (const old of list) {
      if (order === 'start-first') old.replacedBy = next.taskId;
      else {
        old.desired = 'shutdown';
        touch(old);
      }
    }
    list.push(next);
    inFlight += 1;
    service.updatedMs = now;
  }
}

/** Drained nodes lose their tasks (replacement first); a joining node gets a fair share gradually. */
function drainAndRebalance(round: Round, service: ServiceModel, bySlot: Map<string, TaskModel[]>): void {
  const { model, touch, settings } = round;
  const spec = currentSpec(service);
  for (const [slot, list] of bySlot) {
    for (const task of [...list]) {
      if (task.replacedBy || !task.nodeId) continue;
      const node = model.nodes.get(task.nodeId);
      if (node?.availability !== 'drain') continue;
      if (service.mode === 'global') {
        task.desired = 'shutdown';
        touch(task);
        continue;
      }
      const next = newTask(round, service, slot);
      task.replacedBy = next.taskId;
      touch(next);
      list.push(next);
    }
  }
  if (service.mode !== 'replicated' || service.rollout !== 'completed') return;
  // Rebalance: when one eligible node has ≥ 2 more of this service than another, move one.
  const counts = new Map<string, number>();
  for (const node of model.nodes.values()) if (eligible(node) && satisfiesHard(node, spec)) counts.set(node.nodeId, 0);
  if (counts.size < 2) return;
  let movable = 0;
  for (const list of bySlot.values()) {
    if (list.length !== 1) return; // something is already moving
    const task = list[0]!;
    if (task.state !== 'running' || !task.nodeId || !counts.has(task.nodeId)) return;
    counts.set(task.nodeId, counts.get(task.nodeId)! + 1);
    movable += 1;
  }
  const max = Math.max(...counts.values());
  const min = Math.min(...counts.values());
  if (movable === 0 || max - min < 2 || spec.maxReplicasPerNode) return;
  const busiest = [...counts.entries()].find(([, c]) => c === max)![0];
  let moved = 0;
  for (const [slot, list] of [...bySlot.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (moved >= settings.rebalancePerRound) break;
    const task = list[0]!;
    if (task.nodeId !== busiest) continue;
    const next = newTask(round, service, slot);
    next.pendingMessage = `rebalancing from ${busiest}`;
    task.replacedBy = next.taskId;
    touch(next);
    list.push(next);
    moved += 1;
  }
}

/** Tasks whose replacement runs (or which another took over) are shut down. */
function retireReplaced(model: ClusterModel, bySlot: Map<string, TaskModel[]>, touch: Touch): void {
  for (const list of bySlot.values()) {
    for (const task of list) {
      if (!task.replacedBy || task.desired !== 'running') continue;
      const next = model.tasks.get(task.replacedBy);
      if (!next || next.desired !== 'running' || next.state === 'running') {
        task.desired = 'shutdown';
        touch(task);
      }
    }
  }
}

function reconcileJob(round: Round, service: ServiceModel, tasks: TaskModel[]): void {
  const { now, touch, result } = round;
  const spec = currentSpec(service);
  const completions = spec.completions ?? 1;
  const parallelism = spec.parallelism ?? 1;
  let done = 0;
  let active = 0;
  // Failed runs are counted on the service: their tasks are forgotten once their node removed them.
  const record = service.failures.get(JOB_FAILURES) ?? { count: 0, retryAtMs: 0 };
  for (const task of tasks) {
    if (task.state === 'exited' && task.exitCode === 0) {
      if (task.desired !== 'complete') {
        task.desired = 'complete';
        touch(task);
      }
      done += 1;
    } else if (task.desired === 'running' && failed(task)) {
      record.count += 1;
      service.failures.set(JOB_FAILURES, record);
      if (task.exitCode !== undefined) service.lastExitCode = task.exitCode;
      result.savedServices.add(service.id); // a restarted scheduler must not grant more runs
      task.desired = 'shutdown';
      touch(task);
    } else if (task.desired === 'running') active += 1;
  }
  const failures = record.count;
  const maxFailures = Math.max(3, completions * 3);
  if (done >= completions || failures >= maxFailures) {
    const rollout = done >= completions ? 'completed' : 'paused';
    if (service.rollout !== rollout) {
      service.rollout = rollout;
      service.rolloutMessage = done >= completions ? undefined : `${failures} failed runs: giving up`;
      service.updatedMs = now;
      result.changedServices.add(service.id);
    }
    return;
  }
  // slots number the runs: 1, 2, 3… (never reused, though old runs are forgotten)
  let slot = Math.max(tasks.length, ...tasks.map((t) => Number(t.slot) || 0), record.count + done);
  while (active < parallelism && done + active < completions) {
    slot += 1;
    touch(newTask(round, service, String(slot)));
    active += 1;
  }
}

function satisfiesHard(node: NodeModel, spec: ServiceSpec): boolean {
  // Constraints are checked by placement; for global services the node set is filtered here.
  for (const constraint of spec.constraints ?? []) {
    const m = /^node\.(labels\.([\w.-]+)|hostname|id|platform\.arch|platform\.os)\s*(==|!=)\s*(.+)$/.exec(constraint.trim());
    if (!m) continue;
    const actual =
      m[2] !== undefined ? nodeLabels(node)[m[2]] : m[1] === 'hostname' ? node.hostname : m[1] === 'id' ? node.nodeId : m[1] === 'platform.arch' ? node.arch : node.os;
    if ((m[3] === '==') !== (actual === m[4]!.trim())) return false;
  }
  return true;
}

/** Requests used for placement: the request, else the limit. */
export function taskResources(spec: ServiceSpec): { cpuMillis: number; memoryBytes: number } {
  const r = spec.resources ?? {};
  return { cpuMillis: r.cpuRequestMillis ?? r.cpuLimitMillis ?? 0, memoryBytes: r.memoryRequestBytes ?? r.memoryLimitBytes ?? 0 };
}

function placePending({ model, touch, settings }: Round): void {
  const pending = [...model.tasks.values()].filter((t) => t.desired === 'running' && !t.nodeId);
  if (pending.length === 0) return;
  const snapshot = buildSnapshot(model);
  const toPlace: TaskToPlace[] = [];
  const byId = new Map<string, TaskModel>();
  // Image locality: what any node says an image is made of (a node that has them is preferred).
  const imageLayers = new Map<string, string[]>();
  for (const n of model.nodes.values()) for (const [reference, layers] of n.images ?? []) imageLayers.set(reference, layers);
  const replacing = new Map<string, TaskModel>();
  for (const t of model.tasks.values()) if (t.replacedBy) replacing.set(t.replacedBy, t);
  for (const task of pending) {
    const service = model.services.get(task.serviceId);
    if (!service) continue;
    const spec = service.specs.get(task.version) ?? currentSpec(service);
    const resources = taskResources(spec);
    const constraints = [...(spec.constraints ?? [])];
    if (service.mode === 'global') constraints.push(`node.id==${task.slot}`);
    // A task that replaces another must land elsewhere (drain, rebalance).
    const replaced = replacing.get(task.taskId);
    if (replaced?.nodeId) constraints.push(`node.id!=${replaced.nodeId}`);
    toPlace.push({
      taskId: task.taskId,
      serviceId: task.serviceId,
      resources: { cpuMillis: resources.cpuMillis, memoryBytes: resources.memoryBytes },
      hostPorts: (spec.ports ?? []).map((p) => ({ port: p.hostPort, protocol: p.protocol })),
      sharedPorts: true,
      ...(imageLayers.has(spec.image) ? { image: { layers: imageLayers.get(spec.image)!.map((digest) => ({ digest, sizeBytes: 1 })) } } : {}),
      constraints,
      preferences: spec.preferences,
      maxReplicasPerNode: spec.maxReplicasPerNode,
      priority: spec.priority,
      strategy: spec.strategy,
    });
    byId.set(task.taskId, task);
  }
  const placed = new PlacementEngine(snapshot).place(toPlace, { seed: settings.seed, preemption: true });
  for (const placement of placed.placements) {
    const task = byId.get(placement.taskId)!;
    task.nodeId = placement.nodeId;
    task.state = 'assigned';
    task.pendingMessage = undefined;
    task.pendingReasons = undefined;
    // A higher-priority task took the place of lower-priority ones: they stop (and their service
    // asks for a new place next round, pending with a reason if there is none).
    for (const eviction of placement.evictions ?? []) {
      const victim = model.tasks.get(eviction.taskId);
      if (!victim || victim.desired !== 'running') continue;
      victim.desired = 'shutdown';
      victim.reason = `preempted by ${task.taskId} (${placement.reason ?? 'higher priority'})`;
      touch(victim);
    }
    touch(task);
  }
  for (const pendingTask of placed.pending) {
    const task = byId.get(pendingTask.taskId)!;
    if (task.pendingMessage === pendingTask.message) continue;
    task.state = 'pending';
    task.pendingMessage = pendingTask.message;
    task.pendingReasons = pendingTask.reasons.map((r) => ({ code: r.code, nodes: r.nodes, message: r.message }));
    touch(task);
  }
}

export function buildSnapshot(model: ClusterModel): ClusterSnapshot {
  const nodes: NodeSnapshot[] = [];
  const tasksByNode = new Map<string, TaskModel[]>();
  for (const task of model.tasks.values()) {
    if (!task.nodeId || !(task.desired === 'running' || ACTIVE_PHASES.has(task.state))) continue;
    if (task.desired === 'complete') continue;
    if (task.desired === 'shutdown') {
      // Stopping: it frees its place in a moment. Only its host ports stay held until it is gone.
      const service = model.services.get(task.serviceId);
      const spec = service ? (service.specs.get(task.version) ?? currentSpec(service)) : undefined;
      if (!spec?.ports?.length) continue;
    }
    const list = tasksByNode.get(task.nodeId) ?? [];
    list.push(task);
    tasksByNode.set(task.nodeId, list);
  }
  for (const node of model.nodes.values()) {
    const tasks = tasksByNode.get(node.nodeId) ?? [];
    nodes.push({
      id: node.nodeId,
      hostname: node.hostname,
      availability: node.availability,
      state: node.state,
      labels: nodeLabels(node),
      platform: { os: node.os, arch: node.arch },
      capacity: { cpuMillis: node.capacity.cpuMillis, memoryBytes: node.capacity.memoryBytes },
      allocatable: { cpuMillis: node.capacity.cpuMillis, memoryBytes: node.capacity.memoryBytes },
      layers: [...node.layers],
      tasks: tasks.map((task) => {
        const service = model.services.get(task.serviceId);
        const spec = service ? (service.specs.get(task.version) ?? currentSpec(service)) : undefined;
        const resources = spec ? taskResources(spec) : { cpuMillis: 0, memoryBytes: 0 };
        return {
          taskId: task.taskId,
          serviceId: task.serviceId,
          priority: spec?.priority ?? 0,
          resources,
          hostPorts: (spec?.ports ?? []).map((p) => ({ port: p.hostPort, protocol: p.protocol })),
        };
      }),
    });
  }
  return { nodes };
}
