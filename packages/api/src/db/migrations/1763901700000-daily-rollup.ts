import type { MigrationInterface, QueryRunner } from 'typeorm';

const DIMENSIONS = 'provider, model, team, feature, environment, customer, project, user_id, agent';
const SUMS =
  'requests, unpriced_requests, cost, input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens';

/**
 * `usage_daily`: the sums of `usage_hourly` by UTC day (`day`, a timestamptz at 00:00 UTC),
 * kept exact in the same statements that write `usage_hourly` (ingest, reprice), so a spend
 * report or a chargeback over weeks reads one row per day and combination instead of 24.
 * Rows already stored are summed from `usage_hourly` (exactly: `numeric` and `bigint`).
 */
export class DailyRollup1763901700000 implements MigrationInterface {
  name = 'DailyRollup1763901700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_daily (
        day timestamptz NOT NULL,
        provider text NOT NULL,
        model text NOT NULL,
        team text,
        feature text,
        environment text,
        customer text,
        project text,
        user_id text,
        agent text,
        currency text NOT NULL,
        requests bigint NOT NULL,
        cost numeric NOT NULL,
        input_tokens bigint NOT NULL DEFAULT 0,
        cache_read_tokens bigint NOT NULL DEFAULT 0,
        cache_write_tokens bigint NOT NULL DEFAULT 0,
        cache_write_1h_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        reasoning_tokens bigint NOT NULL DEFAULT 0,
        unpriced_requests bigint NOT NULL DEFAULT 0
      )`);
    // NULLS NOT DISTINCT (Postgres 15+), as usage_hourly_key: an absent team is one group.
    await queryRunner.query(`
      CREATE UNIQUE INDEX usage_daily_key ON usage_daily
        (day, ${DIMENSIONS}, currency) NULLS NOT DISTINCT`);
    await queryRunner.query(`
      INSERT INTO usage_daily (day, ${DIMENSIONS}, currency, ${SUMS})
      SELECT date_trunc('day', hour, 'UTC'), ${DIMENSIONS}, currency,
        ${SUMS.split(', ')
          .map((column) => `sum(${column})`)
          .join(', ')}
      FROM usage_hourly
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_daily`);
  }
}
