import { MigrationInterface, QueryRunner } from 'typeorm';

/** Blobs, links, manifests, references, tags and upload sessions (OCI Distribution). */
export class DistributionMetadata1764400000000 implements MigrationInterface {
  name = 'DistributionMetadata1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "repository" ADD COLUMN "is_public" boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE TABLE "blob" (
      "digest" varchar(135) PRIMARY KEY NOT NULL, "size" bigint NOT NULL,
      "created_at" varchar(32) NOT NULL, "touched_at" varchar(32) NOT NULL)`);
    await q.query(`CREATE TABLE "repository_blob" (
      "repository" varchar(255) NOT NULL, "digest" varchar(135) NOT NULL, "created_at" varchar(32) NOT NULL,
      PRIMARY KEY ("repository", "digest"))`);
    await q.query(`CREATE INDEX "repository_blob_digest" ON "repository_blob" ("digest")`);
    await q.query(`CREATE TABLE "manifest" (
      "repository" varchar(255) NOT NULL, "digest" varchar(135) NOT NULL, "media_type" varchar(255) NOT NULL,
      "artifact_type" varchar(255), "subject" varchar(135), "size" bigint NOT NULL, "payload" text NOT NULL,
      "created_at" varchar(32) NOT NULL, PRIMARY KEY ("repository", "digest"))`);
    await q.query(`CREATE INDEX "manifest_subject" ON "manifest" ("repository", "subject")`);
    await q.query(`CREATE TABLE "manifest_reference" (
      "repository" varchar(255) NOT NULL, "manifest" varchar(135) NOT NULL, "target" varchar(135) NOT NULL,
      "kind" varchar(16) NOT NULL, PRIMARY KEY ("repository", "manifest", "target"))`);
    await q.query(`CREATE INDEX "manifest_reference_target" ON "manifest_reference" ("target")`);
    await q.query(`CREATE TABLE "tag" (
      "repository" varchar(255) NOT NULL, "name" varchar(128) NOT NULL, "digest" varchar(135) NOT NULL,
      "updated_at" varchar(32) NOT NULL, PRIMARY KEY ("repository", "name"))`);
    await q.query(`CREATE INDEX "tag_digest" ON "tag" ("repository", "digest")`);
    await q.query(`CREATE TABLE "upload_session" (
      "id" varchar(36) PRIMARY KEY NOT NULL, "repository" varchar(255) NOT NULL,
      "store_upload_id" varchar(64) NOT NULL, "started_at" varchar(32) NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['upload_session', 'tag', 'manifest_reference', 'manifest', 'repository_blob', 'blob']) {
      await q.query(`DROP TABLE "${table}"`);
    }
    await q.query(`ALTER TABLE "repository" DROP COLUMN "is_public"`);
  }
}
