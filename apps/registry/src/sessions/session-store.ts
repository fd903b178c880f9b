import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { DatabaseWriter } from '../metadata/database-writer';
import { LoginSessionEntity } from './login-session.entity';
import { hashSessionToken } from './session-token';

/** Login sessions in the registry's database (the seam the session logic is tested through). */
export abstract class SessionStore {
  abstract create(session: LoginSessionEntity): Promise<void>;
  abstract find(tokenHash: string): Promise<LoginSessionEntity | null>;
  /** Deletes the session; the removed row, or null when there was none. */
  abstract revoke(tokenHash: string): Promise<LoginSessionEntity | null>;
  /** Deletes sessions that expired before `cutoff` (ISO); how many. */
  abstract purgeExpired(cutoff: string): Promise<number>;

  /**
   * The session a token names and whether it is still live at `now`; undefined when there is
   * none (never made, revoked or purged). Every check of a session token goes through here.
   */
  async lookUp(token: string, now: Date): Promise<{ session: LoginSessionEntity; live: boolean } | undefined> {
    const session = await this.find(hashSessionToken(token));
    return session ? { session, live: session.expiresAt > now.toISOString() } : undefined;
  }
}

@Injectable()
export class TypeOrmSessionStore extends SessionStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: DatabaseWriter,
  ) {
    super();
  }

  create(session: LoginSessionEntity): Promise<void> {
    return this.writer.write(async (em) => {
      await em.insert(LoginSessionEntity, session);
    });
  }

  find(tokenHash: string): Promise<LoginSessionEntity | null> {
    return this.db.getRepository(LoginSessionEntity).findOneBy({ tokenHash });
  }

  revoke(tokenHash: string): Promise<LoginSessionEntity | null> {
    return this.writer.write(async (em) => {
      const session = await em.findOneBy(LoginSessionEntity, { tokenHash });
      if (!session) return null;
      await em.delete(LoginSessionEntity, { tokenHash });
      return session;
    });
  }

  purgeExpired(cutoff: string): Promise<number> {
    return this.writer.write(async (em) => (await em.delete(LoginSessionEntity, { expiresAt: LessThan(cutoff) })).affected ?? 0);
  }
}
