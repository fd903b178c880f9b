/**
 * Placement constraints (`node.labels.zone==eu`, `node.hostname!=h1`, `node.id==…`,
 * `node.platform.arch==amd64`, `node.platform.os==linux`) and preferences (`spread=node.labels.rack`):
 * parsing with errors that say what is wrong and what would be right.
 */
import { HostPort, NodePlatform, TaskToPlace } from './types';

export class PlacementSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlacementSpecError';
  }
}

export type NodeAttribute = 'id' | 'hostname' | 'os' | 'arch' | 'label';

export interface Constraint {
  /** The text as written, trimmed: used in explanations. */
  text: string;
  attribute: NodeAttribute;
  /** Label key when attribute is `label`. */
  key: string;
  op: '==' | '!=';
  value: string;
}

export interface Preference {
  text: string;
  /** The label key whose values are balanced. */
  labelKey: string;
}

const SUPPORTED = 'node.id, node.hostname, node.platform.os, node.platform.arch or node.labels.<key>';
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;

/** Parses one constraint; throws PlacementSpecError naming the constraint and the problem. */
export function parseConstraint(raw: string): Constraint {
  if (typeof raw !== 'string') throw new PlacementSpecError(`invalid constraint ${String(raw)}: must be a string such as node.labels.zone==eu`);
  const text = raw.trim();
  const match = /^(.*?)\s*(==|!=)\s*(.*)$/.exec(text);
  if (!match) {
    const hint = /[^=!<>]=[^=]|[<>]/.test(text) ? ' (use == or !=)' : '';
    throw new PlacementSpecError(`invalid constraint "${raw}": expected <attribute>==<value> or <attribute>!=<value>${hint}`);
  }
  const [, left, op, right] = match as unknown as [string, string, '==' | '!=', string];
  const value = right.trim();
  if (value === '') throw new PlacementSpecError(`invalid constraint "${raw}": the value after ${op} is empty`);
  if (/[=!]=/.test(value)) throw new PlacementSpecError(`invalid constraint "${raw}": more than one operator`);
  const attr = left.trim();
  let attribute: NodeAttribute;
  let key = '';
  if (attr === 'node.id') attribute = 'id';
  else if (attr === 'node.hostname') attribute = 'hostname';
  else if (attr === 'node.platform.os') attribute = 'os';
  else if (attr === 'node.platform.arch') attribute = 'arch';
  else if (attr.startsWith('node.labels.')) {
    attribute = 'label';
    key = attr.slice('node.labels.'.length);
    if (!LABEL_KEY.test(key)) throw new PlacementSpecError(`invalid constraint "${raw}": "${key}" is not a valid label key`);
  } else if (attr === '') {
    throw new PlacementSpecError(`invalid constraint "${raw}": the attribute before ${op} is empty (use ${SUPPORTED})`);
  } else {
    throw new PlacementSpecError(`invalid constraint "${raw}": unknown attribute "${attr}" (use ${SUPPORTED})`);
  }
  return { text: `${attr}${op}${value}`, attribute, key, op, value: attribute === 'arch' ? normalizeArch(value) : attribute === 'os' ? value.toLowerCase() : value };
}

/** Parses `spread=node.labels.<key>`. */
export function parsePreference(raw: string): Preference {
  if (typeof raw !== 'string') throw new PlacementSpecError(`invalid placement preference ${String(raw)}: must be a string such as spread=node.labels.zone`);
  const text = raw.trim();
  const match = /^spread\s*=\s*node\.labels\.(.+)$/.exec(text);
  if (!match) throw new PlacementSpecError(`invalid placement preference "${raw}": expected spread=node.labels.<key>`);
  const labelKey = match[1]!.trim();
  if (!LABEL_KEY.test(labelKey)) throw new PlacementSpecError(`invalid placement preference "${raw}": "${labelKey}" is not a valid label key`);
  return { text: `spread=node.labels.${labelKey}`, labelKey };
}

/** Docker/OCI spellings: x86_64 → amd64, aarch64 → arm64. */
export function normalizeArch(arch: string): string {
  const a = arch.trim().toLowerCase();
  if (a === 'x86_64' || a === 'x86-64') return 'amd64';
  if (a === 'aarch64') return 'arm64';
  return a;
}

export function formatPlatform(p: Partial<NodePlatform>): string {
  return `${p.os ?? '*'}/${p.arch ? normalizeArch(p.arch) : '*'}`;
}

export function formatPort(p: HostPort): string {
  return `${p.port}/${p.protocol}`;
}

/** Every problem of a task's placement spec (empty when it is valid). */
export function validateTaskSpec(task: TaskToPlace): string[] {
  const problems: string[] = [];
  const r = task.resources as TaskToPlace['resources'] | undefined;
  if (!task.taskId) problems.push('taskId is empty');
  if (!task.serviceId) problems.push('serviceId is empty');
  if (!r) problems.push('resources are missing');
  else {
    for (const [name, v] of [['cpuMillis', r.cpuMillis], ['memoryBytes', r.memoryBytes], ['pids', r.pids ?? 0]] as const) {
      if (!Number.isFinite(v) || v < 0) problems.push(`resources.${name} must be a number ≥ 0, got ${String(v)}`);
    }
  }
  for (const c of task.constraints ?? []) {
    try {
      parseConstraint(c);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  for (const p of task.preferences ?? []) {
    try {
      parsePreference(p);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const seen = new Set<string>();
  for (const p of task.hostPorts ?? []) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) problems.push(`host port ${String(p.port)} is not in 1…65535`);
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') problems.push(`host port ${p.port}: protocol must be tcp or udp, got ${String(p.protocol)}`);
    const k = formatPort(p);
    if (seen.has(k)) problems.push(`host port ${k} is published twice`);
    seen.add(k);
  }
  if (task.maxReplicasPerNode !== undefined && (!Number.isInteger(task.maxReplicasPerNode) || task.maxReplicasPerNode < 0)) {
    problems.push(`maxReplicasPerNode must be an integer ≥ 0, got ${String(task.maxReplicasPerNode)}`);
  }
  if (task.priority !== undefined && !Number.isFinite(task.priority)) problems.push(`priority must be a number, got ${String(task.priority)}`);
  if (task.strategy !== undefined && task.strategy !== 'spread' && task.strategy !== 'binpack') {
    problems.push(`strategy must be spread or binpack, got ${String(task.strategy)}`);
  }
  return problems;
}
