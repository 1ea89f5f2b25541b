import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allocation and chargeback (docs/0009-allocation.md): the cost-center tree, allocation rules
 * as effective-dated versions (a change or a delete is a new version; nothing is overwritten),
 * closed periods with their frozen chargeback rows and the history of closes and reopens, and
 * a partial GIN index on `usage_events.tags` so a rule matching tags reads only the events that
 * carry those keys (`usage_hourly` has no tags).
 */
export class Allocation1763901200000 implements MigrationInterface {
  name = 'Allocation1763901200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE cost_centers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        parent_code text REFERENCES cost_centers (code),
        gl_account text,
        owner text,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        deactivated_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE allocation_rules (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // A version is in force from effective_from to the next version's effective_from.
    // recorded_at (wall clock, not transaction start) says which versions existed when a
    // period closed, so a closed month can be recomputed as the close saw it.
    await queryRunner.query(`
      CREATE TABLE allocation_rule_versions (
        rule_id bigint NOT NULL REFERENCES allocation_rules (id),
        version integer NOT NULL,
        name text NOT NULL,
        priority integer NOT NULL,
        match jsonb NOT NULL DEFAULT '{}',
        method text NOT NULL CHECK (method IN ('DIRECT', 'FIXED', 'EVEN', 'PROPORTIONAL')),
        targets jsonb NOT NULL,
        effective_from timestamptz NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        recorded_by text,
        recorded_by_name text,
        PRIMARY KEY (rule_id, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX allocation_rule_versions_effective ON allocation_rule_versions (effective_from)`,
    );
    await queryRunner.query(`
      CREATE TABLE allocation_periods (
        month text PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
        closed_at timestamptz,
        closed_by text
      )`);
    await queryRunner.query(`
      CREATE TABLE allocation_period_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        month text NOT NULL REFERENCES allocation_periods (month),
        action text NOT NULL CHECK (action IN ('CLOSE', 'REOPEN')),
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        by_key text,
        by_name text,
        role text NOT NULL,
        reason text
      )`);
    // One row per cost center and currency of a closed month; cost_center NULL = unallocated
    // (written even when zero, so the currencies frozen are known).
    await queryRunner.query(`
      CREATE TABLE allocation_period_rows (
        month text NOT NULL REFERENCES allocation_periods (month),
        currency text NOT NULL,
        cost_center text,
        gl_account text,
        direct numeric NOT NULL,
        shared numeric NOT NULL,
        true_up numeric NOT NULL,
        total numeric NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX allocation_period_rows_month ON allocation_period_rows (month, currency)`,
    );
    // Partial: most events carry no tags, and their inserts do not touch the index at all.
    await queryRunner.query(
      `CREATE INDEX usage_events_tags ON usage_events USING gin (tags) WHERE tags <> '{}'::jsonb`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX usage_events_tags`);
    await queryRunner.query(`DROP TABLE allocation_period_rows`);
    await queryRunner.query(`DROP TABLE allocation_period_events`);
    await queryRunner.query(`DROP TABLE allocation_periods`);
    await queryRunner.query(`DROP TABLE allocation_rule_versions`);
    await queryRunner.query(`DROP TABLE allocation_rules`);
    await queryRunner.query(`DROP TABLE cost_centers`);
  }
}
