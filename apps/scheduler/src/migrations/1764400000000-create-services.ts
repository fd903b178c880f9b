import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateServices1764400000000 implements MigrationInterface {
  name = 'CreateServices1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "service" (
      "id" varchar(64) PRIMARY KEY NOT NULL,
      "name" varchar(63) NOT NULL UNIQUE,
      "mode" varchar(16) NOT NULL,
      "version" integer NOT NULL,
      "previous_version" integer,
      "rollout" varchar(16) NOT NULL,
      "rollout_message" text,
      "created_ms" bigint NOT NULL,
      "updated_ms" bigint NOT NULL
    )`);
    await q.query(`CREATE TABLE "service_version" (
      "service_id" varchar(64) NOT NULL,
      "version" integer NOT NULL,
      "spec" text NOT NULL,
      PRIMARY KEY ("service_id", "version")
    )`);
    await q.query(`CREATE TABLE "task" (
      "task_id" varchar(63) PRIMARY KEY NOT NULL,
      "service_id" varchar(64) NOT NULL,
      "slot" varchar(63) NOT NULL,
      "version" integer NOT NULL,
      "node_id" varchar(63),
      "desired" varchar(16) NOT NULL,
      "state" varchar(16) NOT NULL,
      "details" text,
      "created_ms" bigint NOT NULL,
      "updated_ms" bigint NOT NULL
    )`);
    await q.query(`CREATE INDEX "task_service" ON "task" ("service_id")`);
    await q.query(`ALTER TABLE "node" ADD COLUMN "availability" varchar(8) NOT NULL DEFAULT 'active'`);
    await q.query(`ALTER TABLE "node" ADD COLUMN "admin_labels" text NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "task"`);
    await q.query(`DROP TABLE "service_version"`);
    await q.query(`DROP TABLE "service"`);
  }
}
