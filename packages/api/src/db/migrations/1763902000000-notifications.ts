import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications: webhooks (their URL and signing secret sealed with PURSER_SECRET_KEY: a Slack
 * incoming-webhook URL is itself a credential), a durable outbox of deliveries — one row per
 * webhook and event, unique on (webhook, event) so an event notified twice is delivered once —
 * and every attempt made to deliver one. `budget_alerts.notified_at` marks the threshold
 * crossings already handed to the outbox (apart from `published_at`, which is for NATS); the
 * alerts recorded before this migration count as notified, so they are not sent now.
 */
export class Notifications1763902000000 implements MigrationInterface {
  name = 'Notifications1763902000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhooks (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        url_sealed text NOT NULL,
        url_display text NOT NULL,
        format text NOT NULL,
        events text[] NOT NULL,
        secret_sealed text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_key text NOT NULL UNIQUE,
        webhook_id text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id text NOT NULL,
        event_type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        data jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL,
        next_attempt_at timestamptz,
        last_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (webhook_id, event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE webhook_attempts (
        delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
    await queryRunner.query(`ALTER TABLE budget_alerts ADD COLUMN notified_at timestamptz`);
    await queryRunner.query(`UPDATE budget_alerts SET notified_at = created_at`);
    await queryRunner.query(
      `CREATE INDEX budget_alerts_unnotified ON budget_alerts (id) WHERE notified_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX budget_alerts_unnotified`);
    await queryRunner.query(`ALTER TABLE budget_alerts DROP COLUMN notified_at`);
    await queryRunner.query(`DROP TABLE webhook_attempts`);
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhooks`);
  }
}
