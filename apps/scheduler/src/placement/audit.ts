/**
 * An independent check of a placement result against its snapshot, written without the engine's
 * indexes: no node over its allocatable resources, no host port used twice on a node, every
 * constraint, platform and max-per-node rule honoured, only active ready nodes used, evictions only
 * of strictly lower priority. Used by the tests and the benchmark; cheap enough for a reconciler's
 * debug mode.
 */
import { normalizeArch, parseConstraint } from './constraints';
import { ClusterSnapshot, PlaceResult, TaskToPlace } from './types';

export function auditPlacement(snapshot: ClusterSnapshot, tasks: TaskToPlace[], result: PlaceResult): string[] {
  const problems: string[] = [];
  const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
  const taskById = new Map(tasks.map((t) => [t.taskId, t]));
  const used = new Map<string, { cpu: number; mem: number; pids: number; ports: Set<string>; perService: Map<string, number> }>();
  const evicted = new Set<string>();
  for (const p of result.placements) for (const e of p.evictions ?? []) evicted.add(e.taskId);
  const priorities = new Map<string, number>();
  for (const n of snapshot.nodes) {
    const u = { cpu: 0, mem: 0, pids: 0, ports: new Set<string>(), perService: new Map<string, number>() };
    for (const port of n.usedPorts?.tcp ?? []) u.ports.add(`${port}/tcp`);
    for (const port of n.usedPorts?.udp ?? []) u.ports.add(`${port}/udp`);
    for (const t of n.tasks) {
      priorities.set(t.taskId, t.priority ?? 0);
      if (evicted.has(t.taskId)) continue;
      u.cpu += t.resources.cpuMillis;
      u.mem += t.resources.memoryBytes;
      u.pids += t.resources.pids ?? 0;
      for (const p of t.hostPorts ?? []) u.ports.add(`${p.port}/${p.protocol}`);
      u.perService.set(t.serviceId, (u.perService.get(t.serviceId) ?? 0) + 1);
    }
    used.set(n.id, u);
  }
  const placedIds = new Set<string>();
  for (const p of result.placements) {
    const t = taskById.get(p.taskId);
    const n = byId.get(p.nodeId);
    if (!t || !n) {
      problems.push(`placement ${p.taskId} → ${p.nodeId}: unknown task or node`);
      continue;
    }
    if (placedIds.has(t.taskId)) problems.push(`task ${t.taskId} placed twice`);
    placedIds.add(t.taskId);
    priorities.set(t.taskId, t.priority ?? 0);
    // Evicted later (by a higher-priority task of a later batch): it holds nothing any more.
    if (evicted.has(t.taskId)) continue;
    if (n.state !== 'ready' || n.availability !== 'active') problems.push(`task ${t.taskId} on ${n.hostname}, which is ${n.state}/${n.availability}`);
    for (const e of p.evictions ?? []) {
      if ((priorities.get(e.taskId) ?? Infinity) >= (t.priority ?? 0)) problems.push(`task ${t.taskId} evicts ${e.taskId} of equal or higher priority`);
      if (e.nodeId !== n.id) problems.push(`task ${t.taskId} evicts ${e.taskId} on another node`);
    }
    for (const text of t.constraints ?? []) {
      const c = parseConstraint(text);
      const v =
        c.attribute === 'id' ? n.id : c.attribute === 'hostname' ? n.hostname : c.attribute === 'os' ? n.platform.os.toLowerCase() : c.attribute === 'arch' ? normalizeArch(n.platform.arch) : n.labels[c.key];
      if ((c.op === '==') !== (v === c.value)) problems.push(`task ${t.taskId} on ${n.hostname} breaks constraint ${text}`);
    }
    if (t.platforms?.length && !t.platforms.some((pl) => (!pl.os || pl.os.toLowerCase() === n.platform.os.toLowerCase()) && (!pl.arch || normalizeArch(pl.arch) === normalizeArch(n.platform.arch)))) {
      problems.push(`task ${t.taskId} on ${n.hostname}: platform ${n.platform.os}/${n.platform.arch} not accepted`);
    }
    const u = used.get(n.id)!;
    u.cpu += t.resources.cpuMillis;
    u.mem += t.resources.memoryBytes;
    u.pids += t.resources.pids ?? 0;
    for (const hp of t.hostPorts ?? []) {
      const k = `${hp.port}/${hp.protocol}`;
      if (u.ports.has(k)) problems.push(`task ${t.taskId} on ${n.hostname}: host port ${k} already in use`);
      u.ports.add(k);
    }
    const count = (u.perService.get(t.serviceId) ?? 0) + 1;
    u.perService.set(t.serviceId, count);
    if (t.maxReplicasPerNode && count > t.maxReplicasPerNode) problems.push(`service ${t.serviceId}: ${count} tasks on ${n.hostname}, max ${t.maxReplicasPerNode}`);
  }
  for (const n of snapshot.nodes) {
    const u = used.get(n.id)!;
    if (u.cpu > n.allocatable.cpuMillis) problems.push(`${n.hostname}: cpu ${u.cpu}m over allocatable ${n.allocatable.cpuMillis}m`);
    if (u.mem > n.allocatable.memoryBytes) problems.push(`${n.hostname}: memory ${u.mem} over allocatable ${n.allocatable.memoryBytes}`);
    if (n.allocatable.pids && u.pids > n.allocatable.pids) problems.push(`${n.hostname}: pids ${u.pids} over allocatable ${n.allocatable.pids}`);
  }
  for (const p of result.pending) if (placedIds.has(p.taskId)) problems.push(`task ${p.taskId} both placed and pending`);
  if (placedIds.size + result.pending.length !== tasks.length) problems.push(`${tasks.length} tasks in, ${placedIds.size} placed + ${result.pending.length} pending out`);
  return problems;
}
