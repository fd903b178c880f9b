import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';

const jsonList: ValueTransformer = {
  to: (v: string[] | undefined) => JSON.stringify(v ?? []),
  from: (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as string[]) : ((v as string[] | null) ?? [])),
};

/** A join token: only the hash of its secret is kept (sha256 of `id:secret`). */
@Entity({ name: 'join_token' })
export class JoinTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 12 }) id!: string;
  @Column({ name: 'secret_hash', type: 'varchar', length: 64 }) secretHash!: string;
  @Column({ type: 'varchar', length: 200 }) description!: string;
  /** `admin` (created through the api) or `local` (the scheduler's own, for its host's agent). */
  @Column({ type: 'varchar', length: 8 }) kind!: string;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
  @Column({ name: 'expires_at', type: 'varchar', length: 32, nullable: true }) expiresAt!: string | null;
  @Column({ name: 'revoked_at', type: 'varchar', length: 32, nullable: true }) revokedAt!: string | null;
  /** The nodes that registered with this token. */
  @Column({ name: 'node_ids', type: 'text', transformer: jsonList }) nodeIds!: string[];
}
