import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { DatabaseWriter } from '../metadata/database-writer';
import { LoginSessionEntity } from './login-session.entity';

/** Login sessions in the registry's database (the seam the session logic is tested through). */
export abstract class SessionStore {
  abstract create(session: LoginSessionEntity): Promise<void>;
  abstract find(tokenHash: string): Promise<LoginSessionEntity | null>;
  /** Deletes the session; the removed row, or null when there was none. */
  abstract revoke(tokenHash: string): Promise<LoginSessionEntity | null>;
  /** Deletes sessions that expired before `cutoff` (ISO); how many. */
  abstract purgeExpired(cutoff: string): Promise<number>;
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
