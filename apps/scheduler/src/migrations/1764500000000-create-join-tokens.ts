import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJoinTokens1764500000000 implements MigrationInterface {
  name = 'CreateJoinTokens1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "join_token" (
      "id" varchar(12) PRIMARY KEY NOT NULL,
      "secret_hash" varchar(64) NOT NULL,
      "description" varchar(200) NOT NULL,
      "kind" varchar(8) NOT NULL,
      "created_at" varchar(32) NOT NULL,
      "expires_at" varchar(32),
      "revoked_at" varchar(32),
      "node_ids" text NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "join_token"`);
  }
}
