import type { ServiceSpec } from '@silo/contracts';
import { parseImageReference } from '@silo/domain';
import { parseConstraint, parsePreference } from '../placement';

/**
 * What class-validator cannot see in a service spec: constraint and preference grammar, the image
 * reference, ports, limits against requests, mode-specific fields. Every problem, not the first.
 */
export function serviceSpecProblems(spec: ServiceSpec): string[] {
  const problems: string[] = [];
  const mode = spec.mode ?? 'replicated';
  try {
    parseImageReference(spec.image.includes('/') || spec.image.includes(':') ? spec.image : `${spec.image}`);
  } catch (err) {
    problems.push(`image: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const c of spec.constraints ?? []) {
    try {
      parseConstraint(c);
    } catch (err) {
      problems.push(`constraints: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const p of spec.preferences ?? []) {
    try {
      parsePreference(p);
    } catch (err) {
      problems.push(`preferences: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const seen = new Set<string>();
  for (const port of spec.ports ?? []) {
    const key = `${port.hostPort}/${port.protocol}`;
    if (seen.has(key)) problems.push(`ports: host port ${key} is published twice`);
    seen.add(key);
  }
  if ((spec.ports?.length ?? 0) > 0 && spec.network && spec.network !== 'bridge') problems.push(`ports: published ports need network "bridge", not "${spec.network}"`);
  const r = spec.resources ?? {};
  if (r.cpuRequestMillis !== undefined && r.cpuLimitMillis !== undefined && r.cpuRequestMillis > r.cpuLimitMillis) {
    problems.push(`resources: cpu request ${r.cpuRequestMillis}m is above the limit ${r.cpuLimitMillis}m`);
  }
  if (r.memoryRequestBytes !== undefined && r.memoryLimitBytes !== undefined && r.memoryRequestBytes > r.memoryLimitBytes) {
    problems.push(`resources: memory request ${r.memoryRequestBytes} is above the limit ${r.memoryLimitBytes}`);
  }
  if (mode !== 'replicated' && spec.replicas !== undefined) problems.push(`replicas: only for mode "replicated" (this is "${mode}")`);
  if (mode !== 'job' && (spec.completions !== undefined || spec.parallelism !== undefined)) problems.push(`completions/parallelism: only for mode "job" (this is "${mode}")`);
  if (spec.healthCheck?.type === 'tcp' && spec.healthCheck.port === undefined) problems.push('healthCheck: a tcp check needs a port');
  if (spec.healthCheck?.type === 'exec' && !spec.healthCheck.command?.length) problems.push('healthCheck: an exec check needs a command');
  return problems;
}
