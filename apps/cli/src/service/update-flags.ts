import type { ServiceSpec } from '@silo/contracts';
import { Command } from 'commander';
import { collect } from '../commands/command-kit';
import { ContainerFlags, containerFieldsFrom, parseConstraint, parseKeyValue, parsePublish, splitCommand } from './spec-flags';

export interface UpdateFlags extends ContainerFlags {
  image?: string;
  replicas?: string;
  args?: string;
  envAdd?: string[];
  envRm?: string[];
  labelAdd?: string[];
  labelRm?: string[];
  publishAdd?: string[];
  publishRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
}

export function addUpdateOptions(command: Command): Command {
  return command
    .option('--image <image>', 'new image')
    .option('--replicas <n>', 'new number of replicas')
    .option('--args <command>', "new command arguments (replace the image's cmd)")
    .option('--env-add <KEY=VALUE>', 'add or change an environment variable (repeatable)', collect)
    .option('--env-rm <KEY>', 'remove an environment variable (repeatable)', collect)
    .option('--label-add <KEY=VALUE>', 'add or change a container label (repeatable)', collect)
    .option('--label-rm <KEY>', 'remove a container label (repeatable)', collect)
    .option('--publish-add <HOST:CONTAINER[/PROTO]>', 'publish a port (repeatable)', collect)
    .option('--publish-rm <HOST:CONTAINER[/PROTO]>', 'unpublish a port (repeatable)', collect)
    .option('--constraint-add <expr>', 'add a placement constraint (repeatable)', collect)
    .option('--constraint-rm <expr>', 'remove a placement constraint (repeatable)', collect);
}

/**
 * The PATCH body of `service update`: only the fields a flag changes. Maps and lists that flags
 * edit (env, labels, ports, constraints) and nested objects (resources, updateConfig) are sent
 * whole, computed from the current spec, so the merge on the server cannot be ambiguous.
 */
export function updatePatchFrom(current: ServiceSpec, flags: UpdateFlags): Partial<ServiceSpec> {
  // On update, --env/--label/--publish/--constraint add, like their -add forms.
  const { env, label, publish, constraint, ...rest } = flags;
  flags = {
    ...flags,
    envAdd: [...(flags.envAdd ?? []), ...(env ?? [])],
    labelAdd: [...(flags.labelAdd ?? []), ...(label ?? [])],
    publishAdd: [...(flags.publishAdd ?? []), ...(publish ?? [])],
    constraintAdd: [...(flags.constraintAdd ?? []), ...(constraint ?? [])],
  };
  const fields = containerFieldsFrom(rest);
  const patch: Partial<ServiceSpec> = { ...fields };
  if (fields.resources) patch.resources = { ...current.resources, ...fields.resources };
  if (fields.updateConfig) patch.updateConfig = { ...current.updateConfig, ...fields.updateConfig };
  if (flags.image !== undefined) patch.image = flags.image;
  if (flags.replicas !== undefined) {
    if (!/^\d+$/.test(flags.replicas)) throw new Error(`--replicas "${flags.replicas}": must be a whole number`);
    patch.replicas = Number(flags.replicas);
  }
  if (flags.args !== undefined) patch.args = splitCommand(flags.args);
  const newEnv = editMap(current.env, flags.envAdd, flags.envRm, '--env-add');
  if (newEnv) patch.env = newEnv;
  const labels = editMap(current.labels, flags.labelAdd, flags.labelRm, '--label-add');
  if (labels) patch.labels = labels;
  if (flags.publishAdd?.length || flags.publishRm?.length) {
    const removed = (flags.publishRm ?? []).map(parsePublish);
    const same = (a: { hostPort: number; containerPort: number; protocol: string }, b: typeof a) =>
      a.hostPort === b.hostPort && a.containerPort === b.containerPort && a.protocol === b.protocol;
    const kept = (current.ports ?? []).filter((p) => !removed.some((r) => same(p, r)));
    const added = (flags.publishAdd ?? []).map(parsePublish).filter((a) => !kept.some((k) => same(k, a)));
    patch.ports = [...kept, ...added];
  }
  if (flags.constraintAdd?.length || flags.constraintRm?.length) {
    const removed = new Set((flags.constraintRm ?? []).map((c) => c.trim()));
    const kept = (current.constraints ?? []).filter((c) => !removed.has(c));
    patch.constraints = [...kept, ...(flags.constraintAdd ?? []).map(parseConstraint).filter((c) => !kept.includes(c))];
  }
  return patch;
}

function editMap(current: Record<string, string> | undefined, add: string[] | undefined, rm: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!add?.length && !rm?.length) return undefined;
  const next = { ...current };
  for (const key of rm ?? []) delete next[key];
  for (const item of add ?? []) {
    const [k, v] = parseKeyValue(item, flag);
    next[k] = v;
  }
  return next;
}
