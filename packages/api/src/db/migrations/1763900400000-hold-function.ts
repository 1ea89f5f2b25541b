import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A hold in one round trip. The function runs as one statement, so one implicit
 * transaction: it creates missing windows, locks them in (budget id, window start) order,
 * re-checks every enforced limit on the locked values, takes the velocity counters, reserves
 * on every budget and records the reservation — all or nothing. A refused budget returns
 * `budget:<id>` before anything is reserved; a refused counter raises, rolling back the
 * counters already taken.
 */
export class HoldFunction1763900400000 implements MigrationInterface {
  name = 'HoldFunction1763900400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION purser_hold(
        p_reservation uuid, p_decision text, p_amount numeric, p_currency text, p_attribution jsonb,
        p_now timestamptz, p_expires timestamptz,
        p_budgets uuid[], p_starts timestamptz[], p_ends timestamptz[], p_limits numeric[], p_enforced boolean[],
        p_limit_ids uuid[], p_scope_values text[], p_counter_starts timestamptz[], p_counter_amounts numeric[],
        p_counter_limits numeric[]
      ) RETURNS text LANGUAGE plpgsql AS $$
      DECLARE
        r record;
        counted numeric;
      BEGIN
        INSERT INTO budget_windows (budget_id, window_start, window_end)
          SELECT b, s, e FROM unnest(p_budgets, p_starts, p_ends) AS t(b, s, e) ORDER BY 1, 2
          ON CONFLICT DO NOTHING;
        FOR r IN
          SELECT w.budget_id, w.spent, w.reserved, t.lim, t.enforced
          FROM budget_windows w
          JOIN unnest(p_budgets, p_starts, p_limits, p_enforced) AS t(b, s, lim, enforced)
            ON w.budget_id = t.b AND w.window_start = t.s
          ORDER BY w.budget_id, w.window_start
          FOR UPDATE OF w
        LOOP
          IF r.enforced AND r.spent + r.reserved + p_amount > r.lim THEN
            RETURN 'budget:' || r.budget_id;
          END IF;
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(p_limit_ids, 1), 0) LOOP
          IF p_counter_amounts[i] > p_counter_limits[i] THEN
            RAISE EXCEPTION 'purser_hold_refused:limit:%', p_limit_ids[i];
          END IF;
          INSERT INTO velocity_counters AS c (limit_id, scope_value, window_start, value)
            VALUES (p_limit_ids[i], p_scope_values[i], p_counter_starts[i], p_counter_amounts[i])
            ON CONFLICT (limit_id, scope_value, window_start)
              DO UPDATE SET value = c.value + EXCLUDED.value WHERE c.value + EXCLUDED.value <= p_counter_limits[i]
            RETURNING value INTO counted;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'purser_hold_refused:limit:%', p_limit_ids[i];
          END IF;
        END LOOP;
        UPDATE budget_windows SET reserved = reserved + p_amount
          WHERE (budget_id, window_start) IN (SELECT * FROM unnest(p_budgets, p_starts));
        INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at)
          VALUES (p_reservation, p_decision, 'held', p_amount, p_currency, p_attribution, p_now, p_expires);
        INSERT INTO reservation_holds (reservation_id, budget_id, window_start, amount)
          SELECT p_reservation, b, s, p_amount FROM unnest(p_budgets, p_starts) AS t(b, s);
        RETURN NULL;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION purser_hold(uuid, text, numeric, text, jsonb, timestamptz, timestamptz, uuid[], timestamptz[], timestamptz[], numeric[], boolean[], uuid[], text[], timestamptz[], numeric[], numeric[])`,
    );
  }
}
