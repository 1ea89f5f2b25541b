import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Budgets, their windows (spent and reserved per period), holds, decisions, virtual keys,
 * velocity limits and threshold alerts. Every counter lives here and moves by atomic
 * conditional updates, so any number of replicas agree.
 */
export class Budgets1763900300000 implements MigrationInterface {
  name = 'Budgets1763900300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The window containing `at` for a period, with boundaries in the budget's time zone
    // (DST-correct: the local midnight is converted back to an instant).
    await queryRunner.query(`
      CREATE FUNCTION purser_window_start(period text, zone text, at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE period
          WHEN 'total' THEN 'epoch'::timestamptz
          WHEN 'daily' THEN date_trunc('day', at AT TIME ZONE zone) AT TIME ZONE zone
          WHEN 'weekly' THEN date_trunc('week', at AT TIME ZONE zone) AT TIME ZONE zone
          WHEN 'monthly' THEN date_trunc('month', at AT TIME ZONE zone) AT TIME ZONE zone
        END
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION purser_window_end(period text, zone text, at timestamptz) RETURNS timestamptz
      LANGUAGE sql STABLE AS $$
        SELECT CASE period
          WHEN 'total' THEN NULL
          WHEN 'daily' THEN (date_trunc('day', at AT TIME ZONE zone) + interval '1 day') AT TIME ZONE zone
          WHEN 'weekly' THEN (date_trunc('week', at AT TIME ZONE zone) + interval '1 week') AT TIME ZONE zone
          WHEN 'monthly' THEN (date_trunc('month', at AT TIME ZONE zone) + interval '1 month') AT TIME ZONE zone
        END
      $$`);
    await queryRunner.query(`
      CREATE TABLE virtual_keys (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL UNIQUE,
        secret_prefix text NOT NULL,
        attribution jsonb NOT NULL DEFAULT '{}',
        allowed_models text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE budgets (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        scope jsonb NOT NULL DEFAULT '{}',
        period text NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'total')),
        timezone text NOT NULL DEFAULT 'UTC',
        limit_amount numeric NOT NULL CHECK (limit_amount >= 0),
        currency text NOT NULL DEFAULT 'USD',
        mode text NOT NULL CHECK (mode IN ('block', 'downgrade', 'alert_only')),
        soft_thresholds jsonb NOT NULL DEFAULT '[]',
        downgrade_chain text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE budget_windows (
        budget_id uuid NOT NULL REFERENCES budgets (id),
        window_start timestamptz NOT NULL,
        window_end timestamptz,
        spent numeric NOT NULL DEFAULT 0,
        reserved numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (budget_id, window_start)
      )`);
    await queryRunner.query(`
      CREATE TABLE reservations (
        id uuid PRIMARY KEY,
        decision_id text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('held', 'settled', 'released', 'expired')),
        amount numeric NOT NULL,
        currency text NOT NULL,
        attribution jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        closed_at timestamptz,
        actual_cost numeric
      )`);
    await queryRunner.query(
      `CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE status = 'held'`,
    );
    await queryRunner.query(`
      CREATE TABLE reservation_holds (
        reservation_id uuid NOT NULL REFERENCES reservations (id),
        budget_id uuid NOT NULL,
        window_start timestamptz NOT NULL,
        amount numeric NOT NULL,
        PRIMARY KEY (reservation_id, budget_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE velocity_limits (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        scope text NOT NULL,
        metric text NOT NULL CHECK (metric IN ('requests', 'tokens', 'cost')),
        limit_value numeric NOT NULL CHECK (limit_value >= 0),
        window_seconds integer NOT NULL CHECK (window_seconds > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE velocity_counters (
        limit_id uuid NOT NULL REFERENCES velocity_limits (id),
        scope_value text NOT NULL,
        window_start timestamptz NOT NULL,
        value numeric NOT NULL,
        PRIMARY KEY (limit_id, scope_value, window_start)
      )`);
    await queryRunner.query(`
      CREATE TABLE decisions (
        id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        created_at timestamptz NOT NULL,
        path text NOT NULL,
        key_id text,
        provider text NOT NULL,
        requested_model text NOT NULL,
        model text NOT NULL,
        action text NOT NULL,
        allow boolean NOT NULL,
        attribution jsonb NOT NULL,
        request jsonb NOT NULL,
        reasons jsonb NOT NULL,
        budgets jsonb NOT NULL,
        estimated_cost numeric,
        currency text,
        reservation_id uuid,
        policy_revision text NOT NULL,
        latency_ms double precision NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX decisions_created_at ON decisions (created_at)`);
    // Transactional outbox: an alert is recorded once per threshold per window in the same
    // transaction as the spend that crossed it, then published to NATS by a poller.
    await queryRunner.query(`
      CREATE TABLE budget_alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        budget_id uuid NOT NULL REFERENCES budgets (id),
        window_start timestamptz NOT NULL,
        threshold numeric NOT NULL,
        kind text NOT NULL,
        spent numeric NOT NULL,
        limit_amount numeric NOT NULL,
        currency text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        UNIQUE (budget_id, window_start, threshold)
      )`);
    await queryRunner.query(
      `CREATE INDEX budget_alerts_unpublished ON budget_alerts (id) WHERE published_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'budget_alerts',
      'decisions',
      'velocity_counters',
      'velocity_limits',
      'reservation_holds',
      'reservations',
      'budget_windows',
      'budgets',
      'virtual_keys',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION purser_window_end(text, text, timestamptz)`);
    await queryRunner.query(`DROP FUNCTION purser_window_start(text, text, timestamptz)`);
  }
}
