import { Column, Entity, PrimaryColumn, ValueTransformer } from 'typeorm';
import type { AccountRole, TeamRole } from '@silo/contracts';
import { LoginSessionEntity } from '../sessions/login-session.entity';

const nullableBigint: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

@Entity({ name: 'account' })
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 }) name!: string;
  @Column({ type: 'varchar', length: 8 }) kind!: 'user' | 'robot';
  @Column({ name: 'secret_hash', type: 'varchar', length: 255 }) secretHash!: string;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
  /** Cluster-wide role (users; robots are always `member` and act only in their team). */
  @Column({ type: 'varchar', length: 8, default: 'member' }) role!: AccountRole;
}

@Entity({ name: 'team' })
export class TeamEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) name!: string;
  @Column({ name: 'quota_bytes', type: 'bigint', nullable: true, transformer: nullableBigint }) quotaBytes!: number | null;
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
}

@Entity({ name: 'team_member' })
export class TeamMemberEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) team!: string;
  @PrimaryColumn({ type: 'varchar', length: 128 }) account!: string;
  @Column({ type: 'varchar', length: 8 }) role!: TeamRole;
}

export const ACCOUNT_ENTITIES = [AccountEntity, TeamEntity, TeamMemberEntity, LoginSessionEntity];
