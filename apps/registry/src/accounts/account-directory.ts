import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AccountRole, TeamRole } from '@silo/contracts';
import { DataSource, In, Like } from 'typeorm';
import { DatabaseWriter } from '../metadata/database-writer';
import { LoginSessionEntity } from '../sessions/login-session.entity';
import { AccountEntity, TeamEntity, TeamMemberEntity } from './account.entities';

export interface AccountFilter {
  kind?: 'user' | 'robot';
  /** Only members of this team. */
  team?: string;
}

export interface TeamRemoval {
  /** Accounts that were members (they lost their role). */
  members: string[];
  /** The team's robots, deleted with it. */
  robots: string[];
}

/** Accounts, teams and memberships: the seam the accounts logic is tested through. */
export abstract class AccountDirectory {
  abstract account(name: string): Promise<AccountEntity | null>;
  abstract createAccount(account: AccountEntity, membership?: { team: string; role: TeamRole }): Promise<boolean>;
  /** Deletes the account, its memberships and its login sessions (one transaction). */
  abstract deleteAccount(name: string): Promise<boolean>;
  abstract setAccountRole(name: string, role: AccountRole): Promise<boolean>;
  /** Accounts by name, never with more than the filter asks. */
  abstract accounts(filter: AccountFilter): Promise<AccountEntity[]>;
  /** Memberships of these accounts (all memberships when `accounts` is omitted). */
  abstract memberships(accounts?: string[]): Promise<TeamMemberEntity[]>;
  abstract teams(): Promise<TeamEntity[]>;
  /** Deletes the team, its memberships and its robots (with their sessions); undefined if there was no team. */
  abstract deleteTeam(name: string): Promise<TeamRemoval | undefined>;
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
      await em.delete(LoginSessionEntity, { account: name });
      return (removed.affected ?? 0) > 0;
    });
  }

  setAccountRole(name: string, role: AccountRole): Promise<boolean> {
    return this.writer.write(async (em) => ((await em.update(AccountEntity, { name }, { role })).affected ?? 0) > 0);
  }

  async accounts(filter: AccountFilter): Promise<AccountEntity[]> {
    const where: { kind?: 'user' | 'robot'; name?: ReturnType<typeof In> } = {};
    if (filter.kind) where.kind = filter.kind;
    if (filter.team !== undefined) {
      const members = await this.db.getRepository(TeamMemberEntity).find({ where: { team: filter.team }, select: { account: true } });
      if (members.length === 0) return [];
      where.name = In(members.map((m) => m.account));
    }
    return this.db.getRepository(AccountEntity).find({ where, order: { name: 'ASC' } });
  }

  memberships(accounts?: string[]): Promise<TeamMemberEntity[]> {
    if (accounts?.length === 0) return Promise.resolve([]);
    return this.db.getRepository(TeamMemberEntity).find({ where: accounts ? { account: In(accounts) } : {}, order: { team: 'ASC', account: 'ASC' } });
  }

  teams(): Promise<TeamEntity[]> {
    return this.db.getRepository(TeamEntity).find({ order: { name: 'ASC' } });
  }

  deleteTeam(name: string): Promise<TeamRemoval | undefined> {
    return this.writer.write(async (em) => {
      const removed = await em.delete(TeamEntity, { name });
      if ((removed.affected ?? 0) === 0) return undefined;
      const members = (await em.find(TeamMemberEntity, { where: { team: name }, select: { account: true } })).map((m) => m.account);
      // LIKE is case-insensitive on SQLite: the prefix is checked exactly here as well.
      const robots = (await em.find(AccountEntity, { where: { kind: 'robot', name: Like(`${name}+%`) }, select: { name: true } }))
        .map((a) => a.name)
        .filter((n) => n.startsWith(`${name}+`));
      await em.delete(TeamMemberEntity, { team: name });
      if (robots.length > 0) {
        await em.delete(AccountEntity, { name: In(robots) });
        await em.delete(TeamMemberEntity, { account: In(robots) });
        await em.delete(LoginSessionEntity, { account: In(robots) });
      }
      return { members: members.filter((m) => !robots.includes(m)), robots };
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
