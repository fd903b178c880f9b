import type { PortMappingSpec, RestartPolicySpec, ServiceSpec } from '@silo/contracts';
import { parseCpu, parseMemory } from '@silo/domain';
import { Command, InvalidArgumentError, Option } from 'commander';
import { collect } from '../commands/command-kit';
import { parseDurationMs } from './durations';

/** The flags of `silo service create` / `silo run` / `silo job run`, as commander parses them. */
export interface ContainerFlags {
  env?: string[];
  label?: string[];
  publish?: string[];
  cpus?: string;
  memory?: string;
  reserveCpu?: string;
  reserveMemory?: string;
  pidsLimit?: string;
  constraint?: string[];
  placementPref?: string[];
  maxReplicasPerNode?: string;
  restart?: string;
  healthCmd?: string;
  healthTcp?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  isolation?: string;
  readOnly?: boolean;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  network?: string;
  stopGracePeriod?: string;
  team?: string;
  updateParallelism?: string;
  updateDelay?: string;
  updateMonitor?: string;
  updateOrder?: string;
  updateFailureAction?: string;
  priority?: string;
  strategy?: string;
}

export interface CreateFlags extends ContainerFlags {
  name?: string;
  replicas?: string;
  mode?: string;
  completions?: string;
  parallelism?: string;
}

function fail(message: string): never {
  throw new InvalidArgumentError(message);
}

export function parseKeyValue(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) fail(`${flag} "${text}": use KEY=VALUE`);
  return [text.slice(0, at), text.slice(at + 1)];
}

export function keyValues(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(list.map((item) => parseKeyValue(item, flag)));
}

/** `8080:80`, `8080:80/udp` → a port mapping (the host port first, as docker says it). */
export function parsePublish(text: string): PortMappingSpec {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(text.trim());
  const port = (s: string) => {
    const n = Number(s);
    if (n < 1 || n > 65535) fail(`--publish "${text}": ports are 1-65535`);
    return n;
  };
  if (!m) fail(`--publish "${text}": use HOST_PORT:CONTAINER_PORT[/tcp|udp], e.g. 8080:80`);
  return { hostPort: port(m[1]!), containerPort: port(m[2]!), protocol: (m[3] ?? 'tcp') as 'tcp' | 'udp' };
}

export function formatPort(p: PortMappingSpec): string {
  return `${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/** `no`, `always`, `on-failure`, `on-failure:5`. */
export function parseRestart(text: string): RestartPolicySpec {
  const m = /^(no|always|on-failure)(?::(\d+))?$/.exec(text.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) fail(`--restart "${text}": use no, always, on-failure or on-failure:N`);
  return m[2] !== undefined ? { name: 'on-failure', maxRetries: Number(m[2]) } : { name: m[1] as RestartPolicySpec['name'] };
}

/** `node.labels.zone==eu`, `node.hostname!=h1`, `node.id==…`, `node.platform.arch==amd64`. */
export function parseConstraint(text: string): string {
  if (!/^node\.(labels\.[\w.-]+|hostname|id|platform\.arch|platform\.os)\s*(==|!=)\s*\S.*$/.test(text.trim())) {
    fail(`--constraint "${text}": use node.labels.KEY==VALUE, node.hostname!=NAME, node.id==ID or node.platform.arch==amd64`);
  }
  return text.trim();
}

export function parsePlacementPref(text: string): string {
  if (!/^spread=node\.labels\.[\w.-]+$/.test(text.trim())) fail(`--placement-pref "${text}": use spread=node.labels.KEY`);
  return text.trim();
}

function int(text: string | undefined, flag: string, min = 0): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min) fail(`${flag} "${text}": must be a whole number of at least ${min}`);
  return Number(text);
}

function quantity<T>(text: string | undefined, flag: string, parse: (t: string) => T): T | undefined {
  if (text === undefined) return undefined;
  try {
    return parse(text);
  } catch (err) {
    return fail(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function ms(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDurationMs(text);
}

function oneOf<T extends string>(text: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) fail(`${flag} "${text}": use ${allowed.join(', ')}`);
  return text as T;
}

/** Splits a shell-ish command string (`--health-cmd "curl -f localhost"`): whitespace and quotes. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return words;
}

function pruned<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}

/** The container, placement and rollout parts of a spec that the flags set (absent flags: absent fields). */
export function containerFieldsFrom(flags: ContainerFlags): Partial<ServiceSpec> {
  const resources = pruned({
    cpuLimitMillis: quantity(flags.cpus, '--cpus', parseCpu),
    memoryLimitBytes: quantity(flags.memory, '--memory', parseMemory),
    cpuRequestMillis: quantity(flags.reserveCpu, '--reserve-cpu', parseCpu),
    memoryRequestBytes: quantity(flags.reserveMemory, '--reserve-memory', parseMemory),
    pids: int(flags.pidsLimit, '--pids-limit', 1),
  });
  const healthCheck = healthCheckFrom(flags);
  const updateConfig = pruned({
    parallelism: int(flags.updateParallelism, '--update-parallelism', 1),
    delayMs: ms(flags.updateDelay),
    monitorMs: ms(flags.updateMonitor),
    order: oneOf(flags.updateOrder, '--update-order', ['stop-first', 'start-first'] as const),
    failureAction: oneOf(flags.updateFailureAction, '--update-failure-action', ['pause', 'rollback'] as const),
  });
  const spec: Partial<ServiceSpec> = {
    command: flags.entrypoint !== undefined ? splitCommand(flags.entrypoint) : undefined,
    env: keyValues(flags.env, '--env'),
    labels: keyValues(flags.label, '--label'),
    workingDir: flags.workdir,
    user: flags.user,
    network: oneOf(flags.network, '--network', ['none', 'host', 'bridge'] as const),
    ports: flags.publish?.length ? flags.publish.map(parsePublish) : undefined,
    restartPolicy: flags.restart !== undefined ? parseRestart(flags.restart) : undefined,
    healthCheck,
    readOnlyRootfs: flags.readOnly,
    isolation: oneOf(flags.isolation, '--isolation', ['default', 'hardened'] as const),
    stopGracePeriodMs: ms(flags.stopGracePeriod),
    team: flags.team,
    resources,
    constraints: flags.constraint?.length ? flags.constraint.map(parseConstraint) : undefined,
    preferences: flags.placementPref?.length ? flags.placementPref.map(parsePlacementPref) : undefined,
    maxReplicasPerNode: int(flags.maxReplicasPerNode, '--max-replicas-per-node', 0),
    priority: int(flags.priority, '--priority', -1000),
    strategy: oneOf(flags.strategy, '--strategy', ['spread', 'binpack'] as const),
    updateConfig,
  };
  return pruned(spec) ?? {};
}

function healthCheckFrom(flags: ContainerFlags): ServiceSpec['healthCheck'] {
  const timing = {
    intervalMs: ms(flags.healthInterval),
    timeoutMs: ms(flags.healthTimeout),
    retries: int(flags.healthRetries, '--health-retries', 1),
    startPeriodMs: ms(flags.healthStartPeriod),
  };
  if (flags.healthCmd !== undefined && flags.healthTcp !== undefined) fail('--health-cmd and --health-tcp exclude each other');
  if (flags.healthCmd !== undefined) return pruned({ type: 'exec' as const, command: ['/bin/sh', '-c', flags.healthCmd], ...timing });
  if (flags.healthTcp !== undefined) return pruned({ type: 'tcp' as const, port: int(flags.healthTcp, '--health-tcp', 1), ...timing });
  if (Object.values(timing).some((v) => v !== undefined)) fail('--health-interval/-timeout/-retries/-start-period need --health-cmd or --health-tcp');
  return undefined;
}

/** The whole spec of `service create IMAGE [CMD ARGS...]` (CMD ARGS replace the image's cmd, as with docker run). */
export function serviceSpecFrom(image: string, args: string[], flags: CreateFlags, defaults: { mode?: ServiceSpec['mode'] } = {}): ServiceSpec {
  if (!image) fail('an IMAGE is required');
  const mode = oneOf(flags.mode, '--mode', ['replicated', 'global'] as const) ?? defaults.mode;
  const replicas = int(flags.replicas, '--replicas', 0);
  if (mode === 'global' && replicas !== undefined) fail('--replicas does not apply to --mode global (one task per eligible node)');
  const name = flags.name ?? defaultName(image);
  const spec: ServiceSpec = {
    name,
    image,
    ...(mode && mode !== 'replicated' ? { mode } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(args.length ? { args } : {}),
    ...containerFieldsFrom(flags),
  };
  const completions = int(flags.completions, '--completions', 1);
  const parallelism = int(flags.parallelism, '--parallelism', 1);
  if (completions !== undefined) spec.completions = completions;
  if (parallelism !== undefined) spec.parallelism = parallelism;
  return spec;
}

/** `registry:5000/team/web:1.2` → `web`; a DNS label with a random-free, predictable shape. */
export function defaultName(image: string): string {
  const last = image.replace(/@.*$/, '').split('/').pop() ?? image;
  const base = last.replace(/:.*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return base || 'service';
}

/** Adds the container/placement/rollout flags to a command (shared by service create, run and job run). */
export function addContainerOptions(command: Command): Command {
  return command
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
    .option('-l, --label <KEY=VALUE>', 'set a container label (repeatable)', collect)
    .option('-p, --publish <HOST:CONTAINER[/PROTO]>', 'publish a container port on the node (repeatable), e.g. 8080:80', collect)
    .option('--cpus <n>', 'CPU limit: 0.5, 2 or 500m')
    .option('--memory <bytes>', 'memory limit: 64Mi, 1Gi, 500M')
    .option('--reserve-cpu <n>', 'CPU reserved for placement (default: the limit)')
    .option('--reserve-memory <bytes>', 'memory reserved for placement (default: the limit)')
    .option('--pids-limit <n>', 'maximum number of processes')
    .option('--constraint <expr>', 'placement constraint (repeatable), e.g. node.labels.zone==eu', collect)
    .option('--placement-pref <pref>', 'placement preference (repeatable): spread=node.labels.KEY', collect)
    .option('--max-replicas-per-node <n>', 'at most this many replicas on one node')
    .option('--restart <policy>', 'restart policy: no, on-failure[:N], always')
    .option('--health-cmd <command>', 'health check: a shell command run in the container (exit 0 = healthy)')
    .option('--health-tcp <port>', 'health check: a container port that must accept connections')
    .option('--health-interval <duration>', 'time between health checks (e.g. 10s)')
    .option('--health-timeout <duration>', 'health check timeout')
    .option('--health-retries <n>', 'failures before unhealthy')
    .option('--health-start-period <duration>', 'grace period before failures count')
    .addOption(new Option('--isolation <mode>', 'container isolation').choices(['default', 'hardened']))
    .option('--read-only', 'mount the root filesystem read-only')
    .option('-u, --user <user>', 'user[:group] to run as')
    .option('-w, --workdir <dir>', 'working directory in the container')
    .option('--entrypoint <command>', "replace the image's entrypoint")
    .addOption(new Option('--network <mode>', 'network mode').choices(['none', 'host', 'bridge']))
    .option('--stop-grace-period <duration>', 'SIGTERM, then SIGKILL after this long (e.g. 10s)')
    .option('--team <team>', 'the team that owns it')
    .option('--priority <n>', 'scheduling priority (-1000..1000)')
    .addOption(new Option('--strategy <strategy>', 'placement strategy').choices(['spread', 'binpack']))
    .option('--update-parallelism <n>', 'tasks replaced at a time in a rollout')
    .option('--update-delay <duration>', 'wait between rollout batches')
    .option('--update-monitor <duration>', 'how long an updated task must stay up to count as a success')
    .addOption(new Option('--update-order <order>', 'rollout order').choices(['stop-first', 'start-first']))
    .addOption(new Option('--update-failure-action <action>', 'what a failed rollout does').choices(['pause', 'rollback']));
}
