import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, robots, teams (namespace owners with a quota) and their members' roles. */
export class AccountsTeams1764500000000 implements MigrationInterface {
  name = 'AccountsTeams1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "account" (
      "name" varchar(128) PRIMARY KEY NOT NULL, "kind" varchar(8) NOT NULL,
      "secret_hash" varchar(255) NOT NULL, "created_at" varchar(32) NOT NULL)`);
    await q.query(`CREATE TABLE "team" (
      "name" varchar(64) PRIMARY KEY NOT NULL, "quota_bytes" bigint, "created_at" varchar(32) NOT NULL)`);
    await q.query(`CREATE TABLE "team_member" (
      "team" varchar(64) NOT NULL, "account" varchar(128) NOT NULL, "role" varchar(8) NOT NULL,
      PRIMARY KEY ("team", "account"))`);
    await q.query(`CREATE INDEX "team_member_account" ON "team_member" ("account")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "team_member"`);
    await q.query(`DROP TABLE "team"`);
    await q.query(`DROP TABLE "account"`);
  }
}
