import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users' cluster-wide role, and login sessions (`silo login`) stored as token hashes. */
export class SessionsAccountRole1764600000000 implements MigrationInterface {
  name = 'SessionsAccountRole1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "account" ADD COLUMN "role" varchar(8) NOT NULL DEFAULT 'member'`);
    await q.query(`CREATE TABLE "login_session" (
      "token_hash" varchar(64) PRIMARY KEY NOT NULL, "account" varchar(128) NOT NULL, "kind" varchar(8) NOT NULL,
      "created_at" varchar(32) NOT NULL, "expires_at" varchar(32) NOT NULL)`);
    await q.query(`CREATE INDEX "login_session_account" ON "login_session" ("account")`);
    await q.query(`CREATE INDEX "login_session_expires_at" ON "login_session" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "login_session"`);
    await q.query(`ALTER TABLE "account" DROP COLUMN "role"`);
  }
}
