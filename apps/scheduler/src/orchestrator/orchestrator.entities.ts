import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

const json: ValueTransformer = { to: (v: unknown) => (v === undefined ? null : JSON.stringify(v)), from: (v: unknown) => (v === null || v === undefined ? undefined : typeof v === 'string' ? (JSON.parse(v) as unknown) : v) };
const bigintNumber: ValueTransformer = { to: (v: number) => v, from: (v: string | number) => Number(v) };

@Entity({ name: 'service' })
export class ServiceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 63, unique: true }) name!: string;
  @Column({ type: 'varchar', length: 16 }) mode!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'previous_version', type: 'integer', nullable: true }) previousVersion!: number | null;
  @Column({ type: 'varchar', length: 16 }) rollout!: string;
  @Column({ name: 'rollout_message', type: 'text', nullable: true }) rolloutMessage!: string | null;
  @Column({ name: 'created_ms', type: 'bigint', transformer: bigintNumber }) createdMs!: number;
  @Column({ name: 'updated_ms', type: 'bigint', transformer: bigintNumber }) updatedMs!: number;
  /** A job's failed runs so far (it gives up at its limit, also across a restart). */
  @Column({ name: 'job_failures', type: 'integer', default: 0 }) jobFailures!: number;
  /** A job's last failed run's exit code. */
  @Column({ name: 'last_exit_code', type: 'integer', nullable: true }) lastExitCode!: number | null;
}

@Entity({ name: 'service_version' })
export class ServiceVersionEntity {
  @PrimaryColumn({ name: 'service_id', type: 'varchar', length: 64 }) serviceId!: string;
  @PrimaryColumn({ type: 'integer' }) version!: number;
  @Column({ type: 'text', transformer: json }) spec!: unknown;
}

@Entity({ name: 'task' })
export class TaskEntity {
  @PrimaryColumn({ name: 'task_id', type: 'varchar', length: 63 }) taskId!: string;
  @Column({ name: 'service_id', type: 'varchar', length: 64 }) serviceId!: string;
  @Column({ type: 'varchar', length: 63 }) slot!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ name: 'node_id', type: 'varchar', length: 63, nullable: true }) nodeId!: string | null;
  @Column({ type: 'varchar', length: 16 }) desired!: string;
  @Column({ type: 'varchar', length: 16 }) state!: string;
  @Column({ type: 'text', nullable: true, transformer: json }) details!: Record<string, unknown> | undefined;
  @Column({ name: 'created_ms', type: 'bigint', transformer: bigintNumber }) createdMs!: number;
  @Column({ name: 'updated_ms', type: 'bigint', transformer: bigintNumber }) updatedMs!: number;
}
