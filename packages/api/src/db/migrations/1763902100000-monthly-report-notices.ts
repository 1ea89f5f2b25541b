import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `monthly_report_notices`: one row a UTC month whose report was announced (the
 * MONTHLY_REPORT notification), written in the transaction that puts the notification in the
 * webhook outbox, so a month is announced once whatever the replicas and restarts.
 */
export class MonthlyReportNotices1763902100000 implements MigrationInterface {
  name = 'MonthlyReportNotices1763902100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE monthly_report_notices (
        month text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
        total numeric NOT NULL,
        currency text NOT NULL,
        webhooks integer NOT NULL,
        notified_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE monthly_report_notices`);
  }
}
