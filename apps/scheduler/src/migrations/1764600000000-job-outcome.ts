import { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's failed-run count and last exit code, kept across scheduler restarts. */
export class JobOutcome1764600000000 implements MigrationInterface {
  name = 'JobOutcome1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "service" ADD COLUMN "job_failures" integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "service" ADD COLUMN "last_exit_code" integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "service" DROP COLUMN "last_exit_code"`);
    await q.query(`ALTER TABLE "service" DROP COLUMN "job_failures"`);
  }
}
