import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRepository1764300000000 implements MigrationInterface {
  name = 'CreateRepository1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "repository" ("name" varchar(255) PRIMARY KEY NOT NULL, "created_at" varchar(32) NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "repository"`);
  }
}
