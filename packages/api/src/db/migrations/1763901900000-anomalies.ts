import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `spend_anomalies`: every anomaly the background monitor found in a closed hour, recorded once
 * per (dimension, value, hour, currency) whichever replica found it first, then published on
 * `purser.anomalies.v1` (`published_at`) and handed to the anomaly listeners (`notified_at`):
 * two outboxes on one row, each drained with FOR UPDATE SKIP LOCKED.
 */
export class Anomalies1763901900000 implements MigrationInterface {
  name = 'Anomalies1763901900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE spend_anomalies (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dimension text NOT NULL CHECK (dimension IN ('feature', 'team')),
        value text,
        hour timestamptz NOT NULL,
        currency text NOT NULL,
        expected numeric NOT NULL,
        observed numeric NOT NULL,
        score double precision NOT NULL,
        baseline_weeks integer NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        notified_at timestamptz
      )`);
    // NULLS NOT DISTINCT (Postgres 15+): spend with no feature is one series, recorded once.
    await queryRunner.query(`
      CREATE UNIQUE INDEX spend_anomalies_key ON spend_anomalies (dimension, value, hour, currency)
        NULLS NOT DISTINCT`);
    await queryRunner.query(
      `CREATE INDEX spend_anomalies_unpublished ON spend_anomalies (id) WHERE published_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX spend_anomalies_unnotified ON spend_anomalies (id) WHERE notified_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spend_anomalies`);
  }
}
