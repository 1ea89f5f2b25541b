import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Business metrics (`resolved_tickets` for a feature, `revenue` for a customer…), the other
 * side of unit economics. One row per recorded value; `id` is the client's idempotency key
 * (or one derived from name, timestamp and attribution), so a re-sent batch stores nothing
 * twice. The attribution columns are the usage rollup's, named as in `usage_hourly`, so a
 * unit-economics report groups both sides by the same columns.
 */
export class BusinessMetrics1763901300000 implements MigrationInterface {
  name = 'BusinessMetrics1763901300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE business_metrics (
        id text PRIMARY KEY,
        name text NOT NULL,
        occurred_at timestamptz NOT NULL,
        value numeric NOT NULL,
        currency text,
        team text,
        feature text,
        environment text,
        customer text,
        project text,
        user_id text,
        agent text,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX business_metrics_name_time ON business_metrics (name, occurred_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE business_metrics`);
  }
}
