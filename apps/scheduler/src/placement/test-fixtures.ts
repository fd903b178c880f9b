/** Small builders for placement tests (pure data). */
import { NodeSnapshot, RunningTask, TaskToPlace } from './types';

export const Mi = 1024 * 1024;
export const Gi = 1024 * Mi;

export function node(id: string, over: Partial<NodeSnapshot> & { cpu?: number; mem?: number } = {}): NodeSnapshot {
  const { cpu = 4000, mem = 8 * Gi, ...rest } = over;
  return {
    id,
    hostname: id,
    availability: 'active',
    state: 'ready',
    labels: {},
    platform: { os: 'linux', arch: 'amd64' },
    capacity: { cpuMillis: cpu, memoryBytes: mem },
    allocatable: { cpuMillis: cpu, memoryBytes: mem },
    tasks: [],
    ...rest,
  };
}

export function running(taskId: string, serviceId: string, cpu: number, mem: number, priority = 0, extra: Partial<RunningTask> = {}): RunningTask {
  return { taskId, serviceId, priority, resources: { cpuMillis: cpu, memoryBytes: mem }, ...extra };
}

/** `n` replicas of one service sharing one spec. */
export function replicas(serviceId: string, n: number, spec: Partial<TaskToPlace> = {}): TaskToPlace[] {
  const resources = spec.resources ?? { cpuMillis: 100, memoryBytes: 64 * Mi };
  return Array.from({ length: n }, (_, i) => ({ ...spec, taskId: `${serviceId}.${i + 1}`, serviceId, resources }));
}

/** Tasks per node id. */
export function perNode(placements: Array<{ nodeId: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of placements) out[p.nodeId] = (out[p.nodeId] ?? 0) + 1;
  return out;
}
