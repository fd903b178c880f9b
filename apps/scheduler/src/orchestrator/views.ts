import type { ClusterTask, NodeState, NodeView, ServiceAction, ServiceChangedEvent, ServiceTask, ServiceView } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { ClusterModel, currentSpec, NodeModel, nodeLabels, ServiceModel, TaskModel, TERMINAL_PHASES } from './model';
import { taskResources } from './reconcile';

/**
 * What the scheduler shows of its model: services, their tasks, the cluster's tasks, nodes, and
 * the events it broadcasts. Pure functions over the model (and the node registry's rows), so the
 * orchestrator and the controllers only do I/O around them.
 */

// ---- services ----

export function serviceView(model: ClusterModel, service: ServiceModel): ServiceView {
  const spec = currentSpec(service);
  let completed = 0;
  const runningSlots = new Set<string>();
  const desiredSlots = new Set<string>();
  for (const task of model.tasks.values()) {
    if (task.serviceId !== service.id) continue;
    // A slot counts once, whichever of its tasks runs (an update or a move may run two).
    if (task.desired === 'running' && task.state === 'running') runningSlots.add(task.slot);
    if (task.desired === 'running') desiredSlots.add(task.slot);
    if (task.desired === 'complete') completed += 1;
  }
  const desired = service.mode === 'replicated' ? (spec.replicas ?? 1) : service.mode === 'job' ? (spec.completions ?? 1) : desiredSlots.size;
  return {
    id: service.id,
    name: service.name,
    mode: service.mode,
    version: service.version,
    spec,
    desired,
    running: runningSlots.size,
    ...(service.mode === 'job' ? { completed, ...(service.lastExitCode !== undefined ? { lastExitCode: service.lastExitCode } : {}) } : {}),
    rollout: service.rollout,
    ...(service.rolloutMessage ? { rolloutMessage: service.rolloutMessage } : {}),
    createdAt: new Date(service.createdMs).toISOString(),
    updatedAt: new Date(service.updatedMs).toISOString(),
  };
}

// ---- tasks ----

export function taskView(t: TaskModel): ServiceTask {
  return {
    taskId: t.taskId,
    slot: /^\d+$/.test(t.slot) ? Number(t.slot) : 0,
    version: t.version,
    ...(t.nodeId ? { nodeId: t.nodeId } : {}),
    desiredState: t.desired,
    state: t.state,
    ...(t.health ? { health: t.health } : {}),
    ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
    ...(t.reason ? { reason: t.reason } : {}),
    ...(t.pendingMessage ? { pendingMessage: t.pendingMessage } : {}),
    ...(t.pendingReasons ? { pendingReasons: t.pendingReasons } : {}),
    updatedAt: new Date(t.updatedMs).toISOString(),
  };
}

function bySlotThenAge(a: TaskModel, b: TaskModel): number {
  return a.slot.localeCompare(b.slot, undefined, { numeric: true }) || a.createdMs - b.createdMs;
}

/** Every task the model holds for SERVICE (terminal ones too, until the reconciler forgets them). */
export function serviceTasks(model: ClusterModel, service: ServiceModel): ServiceTask[] {
  return [...model.tasks.values()]
    .filter((t) => t.serviceId === service.id)
    .sort(bySlotThenAge)
    .map(taskView);
}

export interface TaskFilter {
  service?: string;
  nodeId?: string;
  taskId?: string;
}

/**
 * The cluster's tasks as the service views show them (so: only tasks of services that exist),
 * each with its service and team; filters combine. An unknown TASKID is `NOT_FOUND`; an unknown
 * service or node simply matches nothing.
 */
export function clusterTasks(model: ClusterModel, filter: TaskFilter = {}): ClusterTask[] {
  const toCluster = (service: ServiceModel, task: TaskModel): ClusterTask => {
    const team = currentSpec(service).team;
    return { ...taskView(task), service: service.name, ...(team !== undefined ? { team } : {}) };
  };
  if (filter.taskId !== undefined) {
    const task = model.tasks.get(filter.taskId);
    const service = task ? model.services.get(task.serviceId) : undefined;
    if (!task || !service) throw new SiloError('NOT_FOUND', `no task ${filter.taskId}`);
    const matches = (filter.service === undefined || filter.service === service.name) && (filter.nodeId === undefined || filter.nodeId === task.nodeId);
    return matches ? [toCluster(service, task)] : [];
  }
  const services = [...model.services.values()].filter((s) => filter.service === undefined || s.name === filter.service).sort((a, b) => a.name.localeCompare(b.name));
  const wanted = new Set(services.map((s) => s.id));
  const tasksOf = new Map<string, TaskModel[]>();
  for (const task of model.tasks.values()) {
    if (!wanted.has(task.serviceId) || (filter.nodeId !== undefined && task.nodeId !== filter.nodeId)) continue;
    const list = tasksOf.get(task.serviceId);
    if (list) list.push(task);
    else tasksOf.set(task.serviceId, [task]);
  }
  return services.flatMap((service) => (tasksOf.get(service.id) ?? []).sort(bySlotThenAge).map((task) => toCluster(service, task)));
}

// ---- nodes ----

/** What the node registry (the database) knows of a node: `NodeEntity` fits. */
export interface RegisteredNode {
  nodeId: string;
  hostname: string;
  agentVersion: string;
  os: string;
  arch: string;
  cpuMillis: number;
  memoryBytes: number;
  labels: Record<string, string>;
  availability: string;
  adminLabels: Record<string, string>;
}

export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
  pids: number;
}

export interface NodeAllocation {
  /** Requests of its non-terminal tasks: cpu / memory as placement counts them (request, else limit), pids limits. */
  allocated: Resources;
  /** Non-terminal tasks on it. */
  tasks: number;
  runningTasks: number;
}

/** Per node id: what the non-terminal tasks of existing services assigned to it ask for. */
export function nodeAllocations(model: ClusterModel): Map<string, NodeAllocation> {
  const result = new Map<string, NodeAllocation>();
  for (const task of model.tasks.values()) {
    if (!task.nodeId || TERMINAL_PHASES.has(task.state)) continue;
    const service = model.services.get(task.serviceId);
    if (!service) continue;
    const spec = service.specs.get(task.version) ?? currentSpec(service);
    const requests = taskResources(spec);
    let entry = result.get(task.nodeId);
    if (!entry) result.set(task.nodeId, (entry = { allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 }, tasks: 0, runningTasks: 0 }));
    entry.allocated.cpuMillis += requests.cpuMillis;
    entry.allocated.memoryBytes += requests.memoryBytes;
    entry.allocated.pids += spec.resources?.pids ?? 0;
    entry.tasks += 1;
    if (task.state === 'running') entry.runningTasks += 1;
  }
  return result;
}

/**
 * `ready` / `down` as the reconciler decided; `unknown` for a node this scheduler has not heard
 * from since it started (known only from the database) or that is in the registry but not in the
 * model (it registered through another replica and the leader has not loaded it yet).
 */
export function nodeState(node: NodeModel | undefined): NodeState {
  if (!node) return 'unknown';
  if (node.state === 'down') return 'down';
  return node.heardMs === undefined ? 'unknown' : 'ready';
}

function availabilityOf(value: string | undefined): NodeView['availability'] {
  return value === 'pause' || value === 'drain' ? value : 'active';
}

/**
 * Every node of the model and of the registry, by node id (or only NODEID: `NOT_FOUND` when
 * neither knows it). The model (heartbeats, admin changes) wins over the registry's rows, which
 * add what only registration tells (agent version) and the nodes the model lacks.
 */
export function nodeViews(model: ClusterModel, registry: readonly RegisteredNode[], nodeId?: string): NodeView[] {
  const rows = new Map(registry.map((r) => [r.nodeId, r]));
  const ids = new Set([...model.nodes.keys(), ...rows.keys()]);
  if (nodeId !== undefined) {
    if (!ids.has(nodeId)) throw new SiloError('NOT_FOUND', `no node ${nodeId}`);
    ids.clear();
    ids.add(nodeId);
  }
  const allocations = nodeAllocations(model);
  const views: NodeView[] = [];
  for (const id of [...ids].sort()) {
    const node = model.nodes.get(id);
    const row = rows.get(id);
    const allocation = allocations.get(id) ?? { allocated: { cpuMillis: 0, memoryBytes: 0, pids: 0 }, tasks: 0, runningTasks: 0 };
    const capacity: Resources = node ? { ...node.capacity } : { cpuMillis: row!.cpuMillis, memoryBytes: row!.memoryBytes, pids: 0 };
    views.push({
      nodeId: id,
      hostname: node?.hostname ?? row!.hostname,
      state: nodeState(node),
      availability: node ? node.availability : availabilityOf(row!.availability),
      labels: node ? nodeLabels(node) : { ...row!.labels, ...row!.adminLabels },
      platform: node ? { os: node.os, arch: node.arch } : { os: row!.os, arch: row!.arch },
      ...(row?.agentVersion ? { agentVersion: row.agentVersion } : {}),
      capacity,
      // Placement offers a node's whole capacity to tasks' requests: that is what is allocatable.
      allocatable: { ...capacity },
      allocated: allocation.allocated,
      tasks: allocation.tasks,
      runningTasks: allocation.runningTasks,
      ...(node?.lastHeartbeatMs !== undefined ? { lastHeartbeatAt: new Date(node.lastHeartbeatMs).toISOString() } : {}),
    });
  }
  return views;
}

// ---- events ----

/** The event for ACTION on the service VIEW shows (a removed service wants nothing any more). */
export function serviceChangedEvent(view: ServiceView, action: ServiceAction): ServiceChangedEvent {
  return {
    action,
    name: view.name,
    version: view.version,
    rollout: view.rollout,
    ...(view.rolloutMessage ? { message: view.rolloutMessage } : {}),
    ...(view.spec.team !== undefined ? { team: view.spec.team } : {}),
    desired: action === 'removed' ? 0 : view.desired,
    running: view.running,
  };
}
