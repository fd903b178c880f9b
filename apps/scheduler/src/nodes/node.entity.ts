import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

/** PostgreSQL returns bigint as a string; capacities fit in a JS number. */
const bigintNumber: ValueTransformer = { to: (v: number) => v, from: (v: string | number) => Number(v) };
const json: ValueTransformer = { to: (v: unknown) => JSON.stringify(v ?? {}), from: (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v) };

@Entity({ name: 'node' })
export class NodeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 63 }) nodeId!: string;
  @Column({ type: 'varchar', length: 253 }) hostname!: string;
  @Column({ name: 'agent_version', type: 'varchar', length: 64 }) agentVersion!: string;
  @Column({ type: 'varchar', length: 32 }) os!: string;
  @Column({ type: 'varchar', length: 32 }) arch!: string;
  @Column({ type: 'varchar', length: 128 }) kernel!: string;
  @Column({ name: 'cgroup_mode', type: 'varchar', length: 8 }) cgroupMode!: string;
  @Column({ name: 'cpu_millis', type: 'bigint', transformer: bigintNumber }) cpuMillis!: number;
  @Column({ name: 'memory_bytes', type: 'bigint', transformer: bigintNumber }) memoryBytes!: number;
  @Column({ type: 'text', transformer: json }) labels!: Record<string, string>;
  @Column({ name: 'first_seen_at', type: 'varchar', length: 32 }) firstSeenAt!: string;
  @Column({ name: 'last_registered_at', type: 'varchar', length: 32 }) lastRegisteredAt!: string;
  /** Set by the admin: active, pause (no new tasks) or drain (tasks moved away). */
  @Column({ type: 'varchar', length: 8 }) availability!: string;
  /** Labels the admin added (they override the agent's). */
  @Column({ name: 'admin_labels', type: 'text', transformer: json }) adminLabels!: Record<string, string>;
}
