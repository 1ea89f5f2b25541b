import type { MigrationInterface, QueryRunner } from 'typeorm';
import { holdBatchFunction } from './1763900500000-hold-batch';
import { allowanceSyncFunction } from './1763900600000-hold-allowances';

/** The positional signatures 1763900800000 left (dropped here, brought back by `down`). */
const POSITIONAL_HOLD_BATCH =
  'uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], uuid[], timestamptz[], timestamptz[], integer[], integer[], uuid[], text[], timestamptz[], integer[], integer[], numeric[], numeric[], boolean';
const POSITIONAL_ALLOWANCE_SYNC =
  'uuid, integer, numeric, uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], integer[], integer[], uuid[], timestamptz[], timestamptz[], numeric[], numeric[], boolean';

/**
 * The window rows of `window_budgets` × `window_starts` (distinct), locked in the order
 * every writer of budget windows uses (budget id, window start); the missing ones (rare: the
 * first hold of a window) are created and the lock taken again. Answers the locked rows, in
 * lock order. `caller` names the function in the error raised when a window cannot be made
 * (its budget does not exist).
 */
const LOCK_WINDOWS_FUNCTION = `
  CREATE FUNCTION purser_lock_windows(
    window_budgets uuid[], window_starts timestamptz[], window_ends timestamptz[], caller text
  ) RETURNS SETOF budget_windows
  LANGUAGE plpgsql AS $$
  DECLARE
    wanted integer := coalesce(array_length(window_budgets, 1), 0);
    locked budget_windows[];
  BEGIN
    FOR attempt IN 1 .. 2 LOOP
      SELECT coalesce(array_agg(row_locked::budget_windows), '{}') INTO locked
        FROM (SELECT w.* FROM budget_windows w
              WHERE (w.budget_id, w.window_start) IN (SELECT * FROM unnest(window_budgets, window_starts))
              ORDER BY w.budget_id, w.window_start FOR UPDATE) AS row_locked;
      IF cardinality(locked) = wanted THEN
        RETURN QUERY SELECT * FROM unnest(locked);
        RETURN;
      END IF;
      IF attempt = 2 THEN
        RAISE EXCEPTION '%: % of % budget windows exist', caller, cardinality(locked), wanted
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      INSERT INTO budget_windows (budget_id, window_start, window_end)
        SELECT b, s, e FROM unnest(window_budgets, window_starts, window_ends) AS t(b, s, e) ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    END LOOP;
  END
  $$`;

/** The variables both functions read a batch's holds into (`holds`, the reservations). */
export const HOLD_VARIABLES = `
    hold_ids uuid[];
    hold_decisions text[];
    hold_amounts numeric[];
    hold_currencies text[];
    hold_attributions jsonb[];
    hold_created timestamptz[];
    hold_expires timestamptz[];
    hold_keys uuid[];
    hold_count integer;
    link_holds integer[];
    link_windows integer[];`;

/**
 * Reads `batch->'holds'` (one object per hold, keyed as the `reservations` columns) and
 * `batch->'hold_windows'` (for each budget window of each hold, grouped by hold in hold
 * order: `hold` and `budget_window`, 1-based positions in `holds` and `windows`).
 */
export const READ_HOLDS = `
    SELECT array_agg(h.id ORDER BY h.n), array_agg(h.decision_id ORDER BY h.n), array_agg(h.amount ORDER BY h.n),
           array_agg(h.currency ORDER BY h.n), array_agg(h.attribution ORDER BY h.n),
           array_agg(h.created_at ORDER BY h.n), array_agg(h.expires_at ORDER BY h.n),
           array_agg(h.key_id ORDER BY h.n), count(*)
      INTO hold_ids, hold_decisions, hold_amounts, hold_currencies, hold_attributions, hold_created,
           hold_expires, hold_keys, hold_count
      FROM ROWS FROM (jsonb_to_recordset(batch->'holds') AS (id uuid, decision_id text, amount numeric,
             currency text, attribution jsonb, created_at timestamptz, expires_at timestamptz, key_id uuid))
           WITH ORDINALITY AS h(id, decision_id, amount, currency, attribution, created_at, expires_at, key_id, n);
    SELECT array_agg(l.hold ORDER BY l.n), array_agg(l.budget_window ORDER BY l.n)
      INTO link_holds, link_windows
      FROM ROWS FROM (jsonb_to_recordset(batch->'hold_windows') AS (hold integer, budget_window integer))
           WITH ORDINALITY AS l(hold, budget_window, n);`;

/** The reservations of the holds with `placed_filter` true (`n`: the hold's position). */
export function insertReservations(placedFilter: string): string {
  return `INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at, key_id)
            SELECT id, d, 'held', a, cu, at, cr, e, k
            FROM unnest(hold_ids, hold_decisions, hold_amounts, hold_currencies, hold_attributions, hold_created,
                        hold_expires, hold_keys) WITH ORDINALITY AS t(id, d, a, cu, at, cr, e, k, n)
            WHERE ${placedFilter}`;
}

/**
 * `purser_hold_batch(batch jsonb)`: as 1763900500000 describes it (with allowances and key
 * binding), its arguments named in one document:
 *
 *     { holds: [{ id, decision_id, amount, currency, attribution, created_at, expires_at, key_id }],
 *       windows: [{ budget_id, window_start, window_end }],
 *       hold_windows: [{ hold, budget_window }],
 *       counters: [{ limit_id, scope_value, window_start }],
 *       hold_counters: [{ hold, counter, amount, limit_amount }],
 *       sync_commit }
 *
 * `windows` and `counters` are distinct; `hold_windows` and `hold_counters` point into them
 * (and into `holds`) by 1-based position, grouped by hold in hold order.
 */
const HOLD_BATCH_FUNCTION = `
  CREATE FUNCTION purser_hold_batch(batch jsonb)
  RETURNS TABLE (o_refused text, o_spent text[], o_reserved text[], o_counted text[])
  LANGUAGE plpgsql AS $$
  #variable_conflict use_column
  DECLARE${HOLD_VARIABLES}
    window_budgets uuid[];
    window_starts timestamptz[];
    window_ends timestamptz[];
    window_spent numeric[];
    window_reserved numeric[];
    window_allowed numeric[];
    window_limits numeric[];
    window_enforced boolean[];
    window_count integer;
    counter_limits uuid[];
    counter_scopes text[];
    counter_starts timestamptz[];
    counter_values numeric[];
    counted_holds integer[];
    counted_counters integer[];
    counted_amounts numeric[];
    counted_limits numeric[];
    accepted boolean[] := '{}';
    link_count integer;
    counted_count integer;
    next_link integer := 1;
    next_counted integer := 1;
    link_end integer;
    counted_end integer;
    slot integer;
    why text;
  BEGIN
    IF NOT (batch->>'sync_commit')::boolean THEN
      -- PURSER_HOLD_SYNC_COMMIT=false: this transaction's commit does not wait for the WAL flush.
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    ${READ_HOLDS}
    SELECT array_agg(w.budget_id ORDER BY w.n), array_agg(w.window_start ORDER BY w.n),
           array_agg(w.window_end ORDER BY w.n), count(*)
      INTO window_budgets, window_starts, window_ends, window_count
      FROM ROWS FROM (jsonb_to_recordset(batch->'windows') AS (budget_id uuid, window_start timestamptz,
             window_end timestamptz)) WITH ORDINALITY AS w(budget_id, window_start, window_end, n);
    SELECT array_agg(k.limit_id ORDER BY k.n), array_agg(k.scope_value ORDER BY k.n),
           array_agg(k.window_start ORDER BY k.n)
      INTO counter_limits, counter_scopes, counter_starts
      FROM ROWS FROM (jsonb_to_recordset(batch->'counters') AS (limit_id uuid, scope_value text,
             window_start timestamptz)) WITH ORDINALITY AS k(limit_id, scope_value, window_start, n);
    SELECT array_agg(c.hold ORDER BY c.n), array_agg(c.counter ORDER BY c.n), array_agg(c.amount ORDER BY c.n),
           array_agg(c.limit_amount ORDER BY c.n), count(*)
      INTO counted_holds, counted_counters, counted_amounts, counted_limits, counted_count
      FROM ROWS FROM (jsonb_to_recordset(batch->'hold_counters') AS (hold integer, counter integer,
             amount numeric, limit_amount numeric)) WITH ORDINALITY AS c(hold, counter, amount, limit_amount, n);
    link_count := coalesce(array_length(link_holds, 1), 0);
    IF window_count > 0 THEN
      SELECT array_agg(l.spent ORDER BY t.n), array_agg(l.reserved ORDER BY t.n), array_agg(l.allowed ORDER BY t.n),
             array_agg(bu.limit_amount ORDER BY t.n),
             array_agg(bu.mode <> 'alert_only' AND bu.deleted_at IS NULL ORDER BY t.n)
        INTO window_spent, window_reserved, window_allowed, window_limits, window_enforced
        FROM unnest(window_budgets, window_starts) WITH ORDINALITY AS t(b, s, n)
        JOIN purser_lock_windows(window_budgets, window_starts, window_ends, 'purser_hold_batch') l
          ON l.budget_id = t.b AND l.window_start = t.s
        JOIN budgets bu ON bu.id = t.b;
    END IF;
    IF coalesce(array_length(counter_limits, 1), 0) > 0 THEN
      INSERT INTO velocity_counters (limit_id, scope_value, window_start, value)
        SELECT l, v, s, 0 FROM unnest(counter_limits, counter_scopes, counter_starts) AS t(l, v, s) ORDER BY 1, 2, 3
        ON CONFLICT DO NOTHING;
      SELECT array_agg(l.value ORDER BY t.n) INTO counter_values
        FROM unnest(counter_limits, counter_scopes, counter_starts) WITH ORDINALITY AS t(l, v, s, n)
        JOIN (SELECT c.limit_id, c.scope_value, c.window_start, c.value FROM velocity_counters c
              WHERE (c.limit_id, c.scope_value, c.window_start) IN (SELECT * FROM unnest(counter_limits, counter_scopes, counter_starts))
              ORDER BY c.limit_id, c.scope_value, c.window_start FOR UPDATE) l
          ON l.limit_id = t.l AND l.scope_value = t.v AND l.window_start = t.s;
    END IF;
    FOR hold IN 1 .. hold_count LOOP
      why := NULL;
      o_spent := '{}';
      o_reserved := '{}';
      o_counted := '{}';
      link_end := next_link;
      WHILE link_end <= link_count AND link_holds[link_end] = hold LOOP
        slot := link_windows[link_end];
        o_spent := o_spent || window_spent[slot]::text;
        o_reserved := o_reserved || window_reserved[slot]::text;
        IF why IS NULL AND window_enforced[slot]
           AND window_spent[slot] + window_reserved[slot] + window_allowed[slot] + hold_amounts[hold]
               > window_limits[slot] THEN
          why := 'budget:' || window_budgets[slot]
            || CASE WHEN window_allowed[slot] > 0
                         AND window_spent[slot] + window_reserved[slot] + hold_amounts[hold] <= window_limits[slot]
                    THEN ':allowances' ELSE '' END;
        END IF;
        link_end := link_end + 1;
      END LOOP;
      counted_end := next_counted;
      WHILE counted_end <= counted_count AND counted_holds[counted_end] = hold LOOP
        slot := counted_counters[counted_end];
        o_counted := o_counted || counter_values[slot]::text;
        IF why IS NULL AND counter_values[slot] + counted_amounts[counted_end] > counted_limits[counted_end] THEN
          why := 'limit:' || counter_limits[slot];
        END IF;
        counted_end := counted_end + 1;
      END LOOP;
      accepted[hold] := why IS NULL;
      IF why IS NULL THEN
        FOR link IN next_link .. link_end - 1 LOOP
          window_reserved[link_windows[link]] := window_reserved[link_windows[link]] + hold_amounts[hold];
        END LOOP;
        FOR counted IN next_counted .. counted_end - 1 LOOP
          counter_values[counted_counters[counted]] := counter_values[counted_counters[counted]] + counted_amounts[counted];
        END LOOP;
      END IF;
      next_link := link_end;
      next_counted := counted_end;
      o_refused := why;
      RETURN NEXT;
    END LOOP;
    IF NOT (true = ANY(accepted)) THEN
      RETURN;
    END IF;
    IF counted_count > 0 THEN
      UPDATE velocity_counters c SET value = t.v
        FROM unnest(counter_limits, counter_scopes, counter_starts, counter_values) AS t(l, sv, s, v)
        WHERE c.limit_id = t.l AND c.scope_value = t.sv AND c.window_start = t.s AND c.value <> t.v;
    END IF;
    -- The new reserved amounts, the reservations and their holds in one statement.
    WITH windows AS (
      UPDATE budget_windows w SET reserved = t.r
        FROM unnest(window_budgets, window_starts, window_reserved) AS t(b, s, r)
        WHERE w.budget_id = t.b AND w.window_start = t.s AND w.reserved <> t.r
    ), placed AS (
      ${insertReservations('accepted[t.n]')}
        RETURNING id
    )
    INSERT INTO reservation_holds (reservation_id, budget_id, window_start, amount)
      SELECT hold_ids[t.h], window_budgets[t.x], window_starts[t.x], hold_amounts[t.h]
      FROM unnest(link_holds, link_windows) AS t(h, x)
      WHERE accepted[t.h] AND hold_ids[t.h] IN (SELECT id FROM placed);
  END
  $$`;

/**
 * `purser_allowance_sync(batch jsonb)`: as 1763900600000 describes it (with key binding),
 * its arguments named in one document:
 *
 *     { replica_id, ttl_ms, share,
 *       holds: [{ id, decision_id, amount, currency, attribution, created_at, expires_at, key_id }],
 *       hold_windows: [{ hold, budget_window }],
 *       windows: [{ budget_id, window_start, window_end, keep, target }],
 *       sync_commit }
 */
export const ALLOWANCE_SYNC_FUNCTION = `
  CREATE FUNCTION purser_allowance_sync(batch jsonb)
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
    IF window_count = 0 THEN
      RETURN;
    END IF;
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
 * `purser_hold_batch` and `purser_allowance_sync` take their arguments as one named `jsonb`
 * document instead of 18–21 positional arrays, so the code that builds them and the tests
 * that read them name each field. What they do is unchanged (1763900500000,
 * 1763900600000, 1763900800000). Lists of holds and windows are `jsonb` arrays of objects
 * read once each by `jsonb_to_recordset` into the arrays the functions worked on before (the
 * binary `jsonb` input is parsed once, and an attribution is taken as the `jsonb` value it
 * already is). The window locking both did (lock in order, create the missing windows, lock
 * again) is one function, `purser_lock_windows`, that both call.
 */
export class HoldJsonArgs1763901000000 implements MigrationInterface {
  name = 'HoldJsonArgs1763901000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION purser_hold_batch(${POSITIONAL_HOLD_BATCH})`);
    await queryRunner.query(`DROP FUNCTION purser_allowance_sync(${POSITIONAL_ALLOWANCE_SYNC})`);
    await queryRunner.query(LOCK_WINDOWS_FUNCTION);
    await queryRunner.query(HOLD_BATCH_FUNCTION);
    await queryRunner.query(ALLOWANCE_SYNC_FUNCTION);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION purser_allowance_sync(jsonb)`);
    await queryRunner.query(`DROP FUNCTION purser_hold_batch(jsonb)`);
    await queryRunner.query(
      `DROP FUNCTION purser_lock_windows(uuid[], timestamptz[], timestamptz[], text)`,
    );
    await queryRunner.query(holdBatchFunction(true, true).replace('CREATE OR REPLACE', 'CREATE'));
    await queryRunner.query(allowanceSyncFunction(true));
  }
}
