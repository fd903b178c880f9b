import { NODE_ID_PATTERN } from '@silo/contracts';
import { BaseServiceConfig, EnvVar, siloRoot } from '@silo/service-kit';
import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
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

  /** The native runtime binary; default: the workspace build's dist/native/silo-runtime. */
  @EnvVar('SILO_RUNTIME_PATH')
  @IsOptional()
  @IsString()
  @MinLength(1)
  runtimePath?: string;

  get runtimeBinary(): string {
    return this.runtimePath ?? join(siloRoot(), 'dist', 'native', 'silo-runtime');
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
