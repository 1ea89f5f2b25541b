import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `usage_hourly.unpriced_requests`: how many of an hour's requests no price covered (the
 * event's `unpriced` flag), kept in the same statement as `requests`, so a spend report can
 * say which part of a cost is not a real `$0` (ARCHITECTURE.md: "never silently $0"). Rows
 * written before this migration are counted from the events they roll up.
 */
export class UnpricedRollup1763900900000 implements MigrationInterface {
  name = 'UnpricedRollup1763900900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE usage_hourly ADD COLUMN unpriced_requests bigint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`
      UPDATE usage_hourly AS h SET unpriced_requests = e.unpriced_requests
      FROM (
        SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, provider, model, team, feature,
          environment, customer, project, user_id, agent, currency, count(*) AS unpriced_requests
        FROM usage_events WHERE unpriced
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
      ) AS e
      WHERE h.hour = e.hour AND h.currency = e.currency
        AND h.provider IS NOT DISTINCT FROM e.provider AND h.model IS NOT DISTINCT FROM e.model
        AND h.team IS NOT DISTINCT FROM e.team AND h.feature IS NOT DISTINCT FROM e.feature
        AND h.environment IS NOT DISTINCT FROM e.environment
        AND h.customer IS NOT DISTINCT FROM e.customer AND h.project IS NOT DISTINCT FROM e.project
        AND h.user_id IS NOT DISTINCT FROM e.user_id AND h.agent IS NOT DISTINCT FROM e.agent`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_hourly DROP COLUMN unpriced_requests`);
  }
}
