import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  ALLOWANCE_SYNC_FUNCTION,
  HOLD_VARIABLES,
  insertReservations,
  READ_HOLDS,
} from './1763901000000-hold-json-args';

/**
 * `purser_allowance_sync(batch jsonb)` as 1763901000000 made it, except that it writes the
 * holds it is sent when it is sent no budget window. Such holds are those on no budget and no
 * velocity counter, placed in memory (`HoldAllowances.tryHold`): the sync inserts their
 * reservations, and with no window it locks, lends and answers nothing.
 */
const ALLOWANCE_SYNC_FUNCTION_WITHOUT_WINDOWS = `
  CREATE OR REPLACE FUNCTION purser_allowance_sync(batch jsonb)
  RETURNS TABLE (o_allowance text, o_desired text, o_spent text, o_reserved text)
  LANGUAGE plpgsql AS $$
  #variable_conflict use_column
  DECLARE${HOLD_VARIABLES}
    replica uuid := (batch->>'replica_id')::uuid;
    ttl_ms integer := (batch->>'ttl_ms')::integer;
    share numeric := (batch->>'share')::numeric;
    window_budgets uuid[];
    window_starts timestamptz[];
    window_ends timestamptz[];
    window_keeps numeric[];
    window_targets numeric[];
    window_count integer;
    expires timestamptz := clock_timestamp() + ttl_ms * interval '1 millisecond';
  BEGIN
    IF NOT (batch->>'sync_commit')::boolean THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    SELECT array_agg(w.budget_id ORDER BY w.n), array_agg(w.window_start ORDER BY w.n),
           array_agg(w.window_end ORDER BY w.n), array_agg(w.keep ORDER BY w.n),
           array_agg(w.target ORDER BY w.n), count(*)
      INTO window_budgets, window_starts, window_ends, window_keeps, window_targets, window_count
      FROM ROWS FROM (jsonb_to_recordset(batch->'windows') AS (budget_id uuid, window_start timestamptz,
             window_end timestamptz, keep numeric, target numeric))
           WITH ORDINALITY AS w(budget_id, window_start, window_end, keep, target, n);
    IF window_count > 0 THEN
      PERFORM FROM purser_lock_windows(window_budgets, window_starts, window_ends, 'purser_allowance_sync');
      -- Expired allowances (a replica that stopped without giving them back) and this
      -- replica's own previous ones give their room back.
      WITH gone AS (
        DELETE FROM hold_allowances a USING unnest(window_budgets, window_starts) AS t(b, s)
        WHERE a.budget_id = t.b AND a.window_start = t.s
          AND (a.replica_id = replica OR a.expires_at <= clock_timestamp())
        RETURNING a.budget_id, a.window_start, a.amount
      ), freed AS (
        SELECT budget_id, window_start, sum(amount) AS amount FROM gone GROUP BY 1, 2
      )
      UPDATE budget_windows w SET allowed = w.allowed - f.amount
        FROM freed f WHERE w.budget_id = f.budget_id AND w.window_start = f.window_start;
    END IF;
    ${READ_HOLDS}
    IF hold_count > 0 THEN
      -- A sync retried after a lost answer finds its holds written: they count once.
      WITH placed AS (
        ${insertReservations('true')}
          ON CONFLICT DO NOTHING
          RETURNING id
      ), held AS (
        INSERT INTO reservation_holds (reservation_id, budget_id, window_start, amount)
          SELECT hold_ids[t.h], window_budgets[t.x], window_starts[t.x], hold_amounts[t.h]
          FROM unnest(link_holds, link_windows) AS t(h, x)
          WHERE hold_ids[t.h] IN (SELECT id FROM placed)
          RETURNING budget_id, window_start, amount
      ), added AS (
        SELECT budget_id, window_start, sum(amount) AS amount FROM held GROUP BY 1, 2
      )
      UPDATE budget_windows w SET reserved = w.reserved + added.amount
        FROM added WHERE w.budget_id = added.budget_id AND w.window_start = added.window_start;
    END IF;
    IF window_count = 0 THEN
      RETURN;
    END IF;
    RETURN QUERY
    WITH granted AS (
      SELECT n, b, s, spent, reserved, desired, greatest(keep, desired) AS amount
      FROM (
        SELECT t.n, t.b, t.s, t.keep, w.spent, w.reserved,
               CASE WHEN bu.deleted_at IS NOT NULL THEN 0
                    WHEN w.allowance_wanted_at > clock_timestamp() - ttl_ms * interval '1 millisecond' THEN 0
                    WHEN bu.mode = 'alert_only' THEN t.target
                    ELSE least(t.target,
                           trunc(greatest(bu.limit_amount - w.spent - w.reserved - w.allowed, 0) * share, 9))
               END AS desired
        FROM unnest(window_budgets, window_starts, window_keeps, window_targets) WITH ORDINALITY AS t(b, s, keep, target, n)
        JOIN budget_windows w ON w.budget_id = t.b AND w.window_start = t.s
        JOIN budgets bu ON bu.id = t.b
      ) AS d
    ), kept AS (
      INSERT INTO hold_allowances (budget_id, window_start, replica_id, amount, expires_at)
        SELECT b, s, replica, amount, expires FROM granted WHERE amount > 0
    ), lent AS (
      UPDATE budget_windows w SET allowed = w.allowed + g.amount
        FROM granted g WHERE w.budget_id = g.b AND w.window_start = g.s AND g.amount > 0
    )
    SELECT g.amount::text, g.desired::text, g.spent::text, g.reserved::text FROM granted g ORDER BY g.n;
  END
  $$`;

/**
 * A decision on no budget and no velocity limit used to wait for its hold's own round trip and
 * commit (`purser_hold_batch`), though nothing could refuse that hold: four times the time of
 * a decision held in memory on a budget. Such holds are now placed in memory and written by
 * the next allowance sync (docs/0005), which returned before writing anything when it was sent
 * no budget window.
 */
export class HoldsOnNoBudget1763902300000 implements MigrationInterface {
  name = 'HoldsOnNoBudget1763902300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(ALLOWANCE_SYNC_FUNCTION_WITHOUT_WINDOWS);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      ALLOWANCE_SYNC_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'),
    );
  }
}
