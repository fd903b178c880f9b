import type { ClusterTask, ServiceTask, ServiceView } from '@silo/contracts';
import { formatCpu, formatMemory } from '@silo/domain';
import { ago, renderFields } from '../output/render';
import { renderTable } from '../output/table';
import { formatPort } from '../service/spec-flags';

export function renderTasks(tasks: Array<ServiceTask | ClusterTask>, now = Date.now()): string {
  if (tasks.length === 0) return 'No tasks.\n';
  const rows = [...tasks]
    .sort((a, b) => a.slot - b.slot || b.version - a.version)
    .map((t) => [
      t.taskId,
      'service' in t ? t.service : String(t.slot),
      t.nodeId ?? '-',
      t.desiredState,
      `${t.state}${t.health ? ` (${t.health})` : ''}${t.exitCode !== undefined && t.state !== 'running' ? ` exit ${t.exitCode}` : ''}`,
      String(t.version),
      ago(t.updatedAt, now),
      t.pendingMessage ?? t.reason ?? '',
    ]);
  const second = tasks.some((t) => 'service' in t) ? 'service' : 'slot';
  return renderTable(['task', second, 'node', 'desired', 'state', 'version', 'updated', 'message'], rows);
}

export function servicesRow(s: ServiceView): string[] {
  const replicas = s.mode === 'job' ? `${s.completed ?? 0}/${s.desired} done` : `${s.running}/${s.desired}`;
  return [s.name, s.mode, replicas, s.spec.image, String(s.version), s.rollout, (s.spec.ports ?? []).map(formatPort).join(',') || '-', s.spec.team ?? '-'];
}

export const SERVICE_HEADERS = ['name', 'mode', 'replicas', 'image', 'version', 'rollout', 'ports', 'team'];

export function renderServiceDetail(s: ServiceView): string {
  const spec = s.spec;
  const r = spec.resources ?? {};
  const fields: Array<[string, string | number | undefined]> = [
    ['Name', s.name],
    ['ID', s.id],
    ['Mode', s.mode],
    ['Team', spec.team],
    ['Image', spec.image],
    ['Entrypoint', spec.command?.join(' ')],
    ['Args', spec.args?.join(' ')],
    ['Version', s.version],
    ['Replicas', s.mode === 'job' ? `${s.completed ?? 0}/${s.desired} completed` : `${s.running}/${s.desired} running`],
    ['Rollout', `${s.rollout}${s.rolloutMessage ? `: ${s.rolloutMessage}` : ''}`],
    ['Ports', (spec.ports ?? []).map(formatPort).join(', ')],
    ['Env', Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')],
    ['CPU limit', r.cpuLimitMillis !== undefined ? formatCpu(r.cpuLimitMillis) : undefined],
    ['Memory limit', r.memoryLimitBytes !== undefined ? formatMemory(r.memoryLimitBytes) : undefined],
    ['Constraints', (spec.constraints ?? []).join(', ')],
    ['Preferences', (spec.preferences ?? []).join(', ')],
    ['Restart', spec.restartPolicy ? `${spec.restartPolicy.name}${spec.restartPolicy.maxRetries ? `:${spec.restartPolicy.maxRetries}` : ''}` : undefined],
    ['Health', spec.healthCheck ? (spec.healthCheck.type === 'tcp' ? `tcp ${spec.healthCheck.port}` : (spec.healthCheck.command ?? []).join(' ')) : undefined],
    ['Isolation', spec.isolation],
    ['Read-only', spec.readOnlyRootfs ? 'yes' : undefined],
    ['User', spec.user],
    ['Workdir', spec.workingDir],
    ['Update', spec.updateConfig ? Object.entries(spec.updateConfig).map(([k, v]) => `${k}=${v}`).join(' ') : undefined],
    ['Created', s.createdAt],
    ['Updated', s.updatedAt],
  ];
  return renderFields(fields);
}
