import { NODE_ID_PATTERN } from '@silo/contracts';
import { BaseServiceConfig, EnvVar, siloRoot } from '@silo/service-kit';
import { IsInt, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import { join } from 'node:path';

export class NodeAgentConfig extends BaseServiceConfig {
  /** Fixed node id; by default one is generated on first start and kept in SILO_HOME. */
  @EnvVar('SILO_NODE_ID')
  @IsOptional()
  @Matches(NODE_ID_PATTERN, { message: 'must be 3-63 lowercase letters, digits or dashes' })
  nodeId?: string;

  /** Node labels for placement constraints: `zone=eu,disk=ssd`. */
  @EnvVar('SILO_NODE_LABELS')
  @Matches(/^$|^[a-zA-Z0-9._/-]+=[^,=]*(,[a-zA-Z0-9._/-]+=[^,=]*)*$/, { message: 'must be key=value pairs separated by commas' })
  labels = '';

  /** The join token (`SILO-JOIN-…`) this node registers with; else read from SILO_JOIN_TOKEN_FILE. */
  @EnvVar('SILO_JOIN_TOKEN', { secret: true })
  @IsOptional()
  @IsString()
  joinToken?: string;

  /** A file holding the join token, re-read at each attempt; default: the local scheduler's, $SILO_HOME/scheduler/local-join-token. */
  @EnvVar('SILO_JOIN_TOKEN_FILE')
  @IsOptional()
  @IsString()
  @MinLength(1)
  joinTokenFile?: string;

  /** The native runtime binary; default: the workspace build's dist/native/silo-runtime. */
  @EnvVar('SILO_RUNTIME_PATH')
  @IsOptional()
  @IsString()
  @MinLength(1)
  runtimePath?: string;

  /** Hardened containers' user namespaces map to host ids from here up, 65536 per container. */
  @EnvVar('SILO_USERNS_BASE')
  @IsInt()
  @Min(65_536)
  usernsBase = 1_000_000_000;

  /** How often the agent heartbeats its capacity, images and tasks (ms). */
  @EnvVar('SILO_HEARTBEAT_INTERVAL_MS')
  @IsInt()
  @Min(100)
  heartbeatIntervalMs = 1000;

  /** The registry images without a host are pulled from. */
  @EnvVar('SILO_REGISTRY_URL')
  @IsString()
  @Matches(/^https?:\/\/[^/]+$/, { message: 'must be http(s)://host:port' })
  registryUrl = 'http://127.0.0.1:5000';

  /** The bridge network: its name and this node's subnet. */
  @EnvVar('SILO_BRIDGE_NAME')
  @Matches(/^[a-zA-Z0-9_.-]{1,15}$/, { message: 'must be a network interface name (1-15 characters)' })
  bridgeName = 'silo0';

  @EnvVar('SILO_NODE_SUBNET')
  @Matches(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(1[6-9]|2[0-9])$/, { message: 'must be an IPv4 CIDR from /16 to /29, e.g. 10.88.0.0/24' })
  nodeSubnet = '10.88.0.0/24';

  /** Prefix of this agent's iptables chains (two agents sharing one network namespace need two). */
  @EnvVar('SILO_NETWORK_CHAIN_PREFIX')
  @Matches(/^[A-Za-z][A-Za-z0-9_-]{0,14}$/, { message: 'must be 1-15 letters, digits, "_" or "-", starting with a letter' })
  chainPrefix = 'SILO';

  /**
   * Container bundles and root mount points (default /run/silo/<node>): a tree every user may
   * traverse, so hardened containers (an unprivileged host uid as root) reach their root.
   */
  @EnvVar('SILO_RUN_DIR')
  @IsOptional()
  @Matches(/^\//, { message: 'must be an absolute path' })
  runDir?: string;

  get runtimeBinary(): string {
    return this.runtimePath ?? join(siloRoot(), 'dist', 'native', 'silo-runtime');
  }

  get joinTokenPath(): string {
    return this.joinTokenFile ?? join(this.home, 'scheduler', 'local-join-token');
  }

  get agentHome(): string {
    return join(this.home, 'node-agent');
  }

  get labelMap(): Record<string, string> {
    return parseLabels(this.labels);
  }
}

export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const [key, value = ''] = pair.split('=', 2) as [string, string?];
    labels[key.trim()] = value.trim();
  }
  return labels;
}
