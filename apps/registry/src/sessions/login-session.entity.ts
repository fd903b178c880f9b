import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A login session (`silo login`): only the sha256 of its token is kept. `account` is the account's
 * name, or the generated admin's username for `kind: 'admin'`.
 */
@Entity({ name: 'login_session' })
export class LoginSessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Index('login_session_account') @Column({ type: 'varchar', length: 128 }) account!: string;
  @Column({ type: 'varchar', length: 8 }) kind!: 'admin' | 'user' | 'robot';
  @Column({ name: 'created_at', type: 'varchar', length: 32 }) createdAt!: string;
  @Index('login_session_expires_at') @Column({ name: 'expires_at', type: 'varchar', length: 32 }) expiresAt!: string;
}
