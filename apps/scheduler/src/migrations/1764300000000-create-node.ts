import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNode1764300000000 implements MigrationInterface {
  name = 'CreateNode1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "node" (
      "node_id" varchar(63) PRIMARY KEY NOT NULL,
      "hostname" varchar(253) NOT NULL,
      "agent_version" varchar(64) NOT NULL,
      "os" varchar(32) NOT NULL,
      "arch" varchar(32) NOT NULL,
      "kernel" varchar(128) NOT NULL,
      "cgroup_mode" varchar(8) NOT NULL,
      "cpu_millis" bigint NOT NULL,
      "memory_bytes" bigint NOT NULL,
      "labels" text NOT NULL,
      "first_seen_at" varchar(32) NOT NULL,
      "last_registered_at" varchar(32) NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "node"`);
  }
}
