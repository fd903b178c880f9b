import type { IsolationMode, NetworkMode } from '@silo/contracts';
import { defaultSeccompProfile, hardenedSeccompProfile, SeccompProfile } from './seccomp-profiles';

/**
 * Builds the OCI runtime-spec `config.json` for one container: the same document `runc spec`
 * writes, filled in from the task, the image config and the node's decisions. Pure: no I/O.
 */

/** Docker's default capability set: the 14 a container gets unless asked otherwise. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const CPU_PERIOD_US = 100_000;

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface ContainerPlan {
  id: string;
  hostname: string;
  /** Absolute path of the mounted root filesystem. */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  readOnlyRootfs: boolean;
  network: { mode: NetworkMode; netnsPath?: string };
  resources: { cpuMillis?: number; memoryBytes?: number; pids?: number };
  cgroupsPath: string;
  isolation: IsolationMode;
  /** hardened: container ids 0..size-1 map to host ids starting here. */
  userNamespace?: { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
  /**
   * RLIMIT_NOFILE (default 1048576, Docker's). It cannot exceed what the agent itself may have
   * unless the runtime holds CAP_SYS_RESOURCE, so the agent passes its own hard limit.
   */
  maxOpenFiles?: number;
  /** A directory holding hosts, hostname and resolv.conf to bind over the image's. */
  etcDir?: string;
  annotations?: Record<string, string>;
}

export interface OciSpec {
  ociVersion: string;
  root: { path: string; readonly: boolean };
  hostname: string;
  process: Record<string, unknown>;
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: Record<string, unknown>;
  annotations: Record<string, string>;
}

export function buildOciSpec(plan: ContainerPlan): OciSpec {
  const hardened = plan.isolation === 'hardened';
  const capabilities = hardened ? [] : [...DEFAULT_CAPABILITIES];
  const seccomp: SeccompProfile = hardened ? hardenedSeccompProfile() : defaultSeccompProfile();
  const joinsNetns = plan.network.mode === 'bridge' && plan.network.netnsPath !== undefined;

  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (plan.network.mode === 'none') namespaces.push({ type: 'network' });
  if (joinsNetns) namespaces.push({ type: 'network', path: plan.network.netnsPath });
  if (plan.userNamespace) namespaces.push({ type: 'user' });

  const mounts: OciSpec['mounts'] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(plan.userNamespace ? [] : ['gid=5'])] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  // sysfs can only be mounted by the owner of the network namespace; a user-namespaced container
  // that joins a namespace made on the host gets the host's /sys, read-only, instead (as runc does).
  if (plan.userNamespace && plan.network.mode !== 'none') {
    mounts.push({ destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  } else {
    mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  }
  if (hardened || plan.readOnlyRootfs) {
    mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'] });
  }
  if (plan.etcDir) {
    // hosts, hostname and resolv.conf, written by the agent next to the bundle.
    for (const file of ['hosts', 'hostname', 'resolv.conf']) {
      mounts.push({ destination: `/etc/${file}`, type: 'bind', source: `${plan.etcDir}/${file}`, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] });
    }
  }

  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (plan.resources.memoryBytes !== undefined) {
    resources.memory = { limit: plan.resources.memoryBytes, swap: plan.resources.memoryBytes };
  }
  if (plan.resources.cpuMillis !== undefined) {
    resources.cpu = { quota: Math.max(1000, Math.round((plan.resources.cpuMillis * CPU_PERIOD_US) / 1000)), period: CPU_PERIOD_US };
  }
  if (plan.resources.pids !== undefined) resources.pids = { limit: plan.resources.pids };

  const linux: Record<string, unknown> = {
    namespaces,
    resources,
    cgroupsPath: plan.cgroupsPath,
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
    seccomp,
  };
  if (plan.userNamespace) {
    linux.uidMappings = plan.userNamespace.uidMappings;
    linux.gidMappings = plan.userNamespace.gidMappings;
  }

  return {
    ociVersion: '1.0.2',
    root: { path: plan.rootfs, readonly: plan.readOnlyRootfs || hardened },
    hostname: plan.hostname,
    process: {
      terminal: false,
      user: { uid: plan.uid, gid: plan.gid, ...(plan.additionalGids.length > 0 ? { additionalGids: plan.additionalGids } : {}) },
      args: plan.args,
      env: plan.env,
      cwd: plan.cwd,
      capabilities: {
        bounding: capabilities,
        effective: capabilities,
        permitted: capabilities,
        // A non-root process keeps nothing across execve unless ambient; Docker gives root only.
        inheritable: [],
        ambient: [],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: plan.maxOpenFiles ?? 1_048_576, soft: plan.maxOpenFiles ?? 1_048_576 }],
      noNewPrivileges: true,
      oomScoreAdj: 0,
    },
    mounts,
    linux,
    annotations: { 'io.silo.task': plan.id, ...plan.annotations },
  };
}
