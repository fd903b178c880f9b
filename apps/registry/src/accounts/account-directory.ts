import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TeamRole } from '@silo/contracts';
import { DataSource } from 'typeorm';
import { DatabaseWriter } from '../metadata/database-writer';
import { AccountEntity, TeamEntity, TeamMemberEntity } from './account.entities';

/** Accounts, teams and memberships: the seam the accounts logic is tested through. */
export abstract class AccountDirectory {
  abstract account(name: string): Promise<AccountEntity | null>;
  abstract createAccount(account: AccountEntity, membership?: { team: string; role: TeamRole }): Promise<boolean>;
  abstract deleteAccount(name: string): Promise<boolean>;
  abstract team(name: string): Promise<TeamEntity | null>;
  abstract putTeam(name: string, quotaBytes: number | null | undefined, now: string): Promise<TeamEntity>;
  abstract setMember(team: string, account: string, role: TeamRole | 'none'): Promise<void>;
  abstract role(team: string, account: string): Promise<TeamRole | undefined>;
  /** Bytes of the distinct blobs linked in the team's repositories (`team/…`). */
  abstract usage(team: string): Promise<number>;
  /** Whether the blob is already counted for the team (linked in one of its repositories). */
  abstract counted(team: string, digest: string): Promise<boolean>;
}

/** `team/…` as a LIKE prefix, with LIKE's wildcards escaped (team names cannot hold them anyway). */
const prefix = (team: string) => `${team.replace(/[\\%_]/g, '\\$&')}/%`;

@Injectable()
export class TypeOrmAccountDirectory extends AccountDirectory {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly writer: DatabaseWriter,
  ) {
    super();
  }

  account(name: string) {
    return this.db.getRepository(AccountEntity).findOneBy({ name });
  }

  createAccount(account: AccountEntity, membership?: { team: string; role: TeamRole }): Promise<boolean> {
    return this.writer.write(async (em) => {
      if (await em.findOneBy(AccountEntity, { name: account.name })) return false;
      await em.insert(AccountEntity, account);
      if (membership) await em.upsert(TeamMemberEntity, { team: membership.team, account: account.name, role: membership.role }, ['team', 'account']);
      return true;
    });
  }

  deleteAccount(name: string): Promise<boolean> {
    return this.writer.write(async (em) => {
      const removed = await em.delete(AccountEntity, { name });
      await em.delete(TeamMemberEntity, { account: name });
      return (removed.affected ?? 0) > 0;
    });
  }

  team(name: string) {
    return this.db.getRepository(TeamEntity).findOneBy({ name });
  }

  putTeam(name: string, quotaBytes: number | null | undefined, now: string): Promise<TeamEntity> {
    return this.writer.write(async (em) => {
      const existing = await em.findOneBy(TeamEntity, { name });
      if (existing) {
        if (quotaBytes !== undefined) await em.update(TeamEntity, { name }, { quotaBytes });
        return { ...existing, quotaBytes: quotaBytes === undefined ? existing.quotaBytes : quotaBytes };
      }
      const team = { name, quotaBytes: quotaBytes ?? null, createdAt: now };
      await em.insert(TeamEntity, team);
      return team;
    });
  }

  setMember(team: string, account: string, role: TeamRole | 'none'): Promise<void> {
    return this.writer.write(async (em) => {
      if (role === 'none') await em.delete(TeamMemberEntity, { team, account });
      else await em.upsert(TeamMemberEntity, { team, account, role }, ['team', 'account']);
    });
  }

  async role(team: string, account: string): Promise<TeamRole | undefined> {
    return (await this.db.getRepository(TeamMemberEntity).findOneBy({ team, account }))?.role;
  }

  async usage(team: string): Promise<number> {
    const rows: Array<{ total: string | number | null }> = await this.db.query(
      this.db.options.type === 'postgres'
        ? `SELECT SUM(b."size") AS total FROM "blob" b WHERE b."digest" IN (SELECT rb."digest" FROM "repository_blob" rb WHERE rb."repository" LIKE $1 ESCAPE '\\')`
        : `SELECT SUM(b."size") AS total FROM "blob" b WHERE b."digest" IN (SELECT rb."digest" FROM "repository_blob" rb WHERE rb."repository" LIKE ? ESCAPE '\\')`,
      [prefix(team)],
    );
    return Number(rows[0]?.total ?? 0);
  }

  async counted(team: string, digest: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      this.db.options.type === 'postgres'
        ? `SELECT 1 FROM "repository_blob" WHERE "digest" = $1 AND "repository" LIKE $2 ESCAPE '\\' LIMIT 1`
        : `SELECT 1 FROM "repository_blob" WHERE "digest" = ? AND "repository" LIKE ? ESCAPE '\\' LIMIT 1`,
      [digest, prefix(team)],
    );
    return rows.length > 0;
  }
}
