import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HoldFunction1763900400000 } from './1763900400000-hold-function';

/**
 * `purser_hold_batch`; with `allowances` (1763900600000) it also counts the room replicas
 * took as hold allowances (`budget_windows.allowed`), and marks a refusal `:allowances`
 * when the hold would have fit without them (the room is lent, not spent). With `keyed`
 * (1763900800000) each hold also names the API key that placed it (`h_keys`, stored as
 * `reservations.key_id`).
 */
export function holdBatchFunction(allowances: boolean, keyed = false): string {
  return `
      ${allowances ? 'CREATE OR REPLACE' : 'CREATE'} FUNCTION purser_hold_batch(
        h_ids uuid[], h_decisions text[], h_amounts numeric[], h_currencies text[], h_attributions jsonb[],
        h_now timestamptz[], h_expires timestamptz[],${keyed ? ' h_keys uuid[],' : ''}
        w_budgets uuid[], w_starts timestamptz[], w_ends timestamptz[],
        b_holds integer[], b_windows integer[],
        k_limits uuid[], k_scopes text[], k_starts timestamptz[],
        c_holds integer[], c_counters integer[], c_amounts numeric[], c_limits numeric[],
        flush boolean
      ) RETURNS TABLE (o_refused text, o_spent text[], o_reserved text[], o_counted text[])
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        w_spent numeric[];
        w_reserved numeric[];${allowances ? '\n        w_allowed numeric[];' : ''}
        w_limit numeric[];
        w_enforced boolean[];
        k_values numeric[];
        accepted boolean[] := '{}';
        holds integer := coalesce(array_length(h_ids, 1), 0);
        nw integer := coalesce(array_length(w_budgets, 1), 0);
        found_rows bigint;
        nb integer := coalesce(array_length(b_holds, 1), 0);
        nc integer := coalesce(array_length(c_holds, 1), 0);
        bi integer := 1;
        ci integer := 1;
        j integer;
        m integer;
        x integer;
        why text;
      BEGIN
        IF NOT flush THEN
          -- PURSER_HOLD_SYNC_COMMIT=false: this transaction's commit does not wait for the WAL flush.
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        IF nw > 0 THEN
          -- Lock the windows; create the missing ones (rare: the first hold of a window) and lock again.
          FOR attempt IN 1 .. 2 LOOP
            SELECT array_agg(l.spent ORDER BY t.n), array_agg(l.reserved ORDER BY t.n), ${allowances ? 'array_agg(l.allowed ORDER BY t.n),' : ''}
                   array_agg(bu.limit_amount ORDER BY t.n),
                   array_agg(bu.mode <> 'alert_only' AND bu.deleted_at IS NULL ORDER BY t.n), count(*)
              INTO w_spent, w_reserved, ${allowances ? 'w_allowed,' : ''} w_limit, w_enforced, found_rows
              FROM unnest(w_budgets, w_starts) WITH ORDINALITY AS t(b, s, n)
              JOIN (SELECT w.budget_id, w.window_start, w.spent, w.reserved${allowances ? ', w.allowed' : ''} FROM budget_windows w
                    WHERE (w.budget_id, w.window_start) IN (SELECT * FROM unnest(w_budgets, w_starts))
                    ORDER BY w.budget_id, w.window_start FOR UPDATE) l
                ON l.budget_id = t.b AND l.window_start = t.s
              JOIN budgets bu ON bu.id = t.b;
            EXIT WHEN found_rows = nw;
            IF attempt = 2 THEN
              RAISE EXCEPTION 'purser_hold_batch: % of % budget windows exist', found_rows, nw
                USING ERRCODE = 'foreign_key_violation';
            END IF;
            INSERT INTO budget_windows (budget_id, window_start, window_end)
              SELECT b, s, e FROM unnest(w_budgets, w_starts, w_ends) AS t(b, s, e) ORDER BY 1, 2
              ON CONFLICT DO NOTHING;
          END LOOP;
        END IF;
        IF coalesce(array_length(k_limits, 1), 0) > 0 THEN
          INSERT INTO velocity_counters (limit_id, scope_value, window_start, value)
            SELECT l, v, s, 0 FROM unnest(k_limits, k_scopes, k_starts) AS t(l, v, s) ORDER BY 1, 2, 3
            ON CONFLICT DO NOTHING;
          SELECT array_agg(l.value ORDER BY t.n) INTO k_values
            FROM unnest(k_limits, k_scopes, k_starts) WITH ORDINALITY AS t(l, v, s, n)
            JOIN (SELECT c.limit_id, c.scope_value, c.window_start, c.value FROM velocity_counters c
                  WHERE (c.limit_id, c.scope_value, c.window_start) IN (SELECT * FROM unnest(k_limits, k_scopes, k_starts))
                  ORDER BY c.limit_id, c.scope_value, c.window_start FOR UPDATE) l
              ON l.limit_id = t.l AND l.scope_value = t.v AND l.window_start = t.s;
        END IF;
        FOR i IN 1 .. holds LOOP
          why := NULL;
          o_spent := '{}';
          o_reserved := '{}';
          o_counted := '{}';
          j := bi;
          WHILE j <= nb AND b_holds[j] = i LOOP
            x := b_windows[j];
            o_spent := o_spent || w_spent[x]::text;
            o_reserved := o_reserved || w_reserved[x]::text;
            IF why IS NULL AND w_enforced[x] AND w_spent[x] + w_reserved[x] + ${allowances ? 'w_allowed[x] +' : ''} h_amounts[i] > w_limit[x] THEN
              why := 'budget:' || w_budgets[x]${
                allowances
                  ? " || CASE WHEN w_allowed[x] > 0 AND w_spent[x] + w_reserved[x] + h_amounts[i] <= w_limit[x] THEN ':allowances' ELSE '' END"
                  : ''
              };
            END IF;
            j := j + 1;
          END LOOP;
          m := ci;
          WHILE m <= nc AND c_holds[m] = i LOOP
            x := c_counters[m];
            o_counted := o_counted || k_values[x]::text;
            IF why IS NULL AND k_values[x] + c_amounts[m] > c_limits[m] THEN
              why := 'limit:' || k_limits[x];
            END IF;
            m := m + 1;
          END LOOP;
          accepted[i] := why IS NULL;
          IF why IS NULL THEN
            FOR y IN bi .. j - 1 LOOP
              w_reserved[b_windows[y]] := w_reserved[b_windows[y]] + h_amounts[i];
            END LOOP;
            FOR y IN ci .. m - 1 LOOP
              k_values[c_counters[y]] := k_values[c_counters[y]] + c_amounts[y];
            END LOOP;
          END IF;
          bi := j;
          ci := m;
          o_refused := why;
          RETURN NEXT;
        END LOOP;
        IF NOT (true = ANY(accepted)) THEN
          RETURN;
        END IF;
        IF nc > 0 THEN
          UPDATE velocity_counters c SET value = t.v
            FROM unnest(k_limits, k_scopes, k_starts, k_values) AS t(l, sv, s, v)
            WHERE c.limit_id = t.l AND c.scope_value = t.sv AND c.window_start = t.s AND c.value <> t.v;
        END IF;
        -- The new reserved amounts, the reservations and their holds in one statement.
        WITH windows AS (
          UPDATE budget_windows w SET reserved = t.r
            FROM unnest(w_budgets, w_starts, w_reserved) AS t(b, s, r)
            WHERE w.budget_id = t.b AND w.window_start = t.s AND w.reserved <> t.r
        ), placed AS (
          ${
            keyed
              ? `INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at, key_id)
            SELECT id, d, 'held', a, cu, at, n, e, k
            FROM unnest(h_ids, h_decisions, h_amounts, h_currencies, h_attributions, h_now, h_expires, h_keys, accepted)
              AS t(id, d, a, cu, at, n, e, k, ok)`
              : `INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at)
            SELECT id, d, 'held', a, cu, at, n, e
            FROM unnest(h_ids, h_decisions, h_amounts, h_currencies, h_attributions, h_now, h_expires, accepted)
              AS t(id, d, a, cu, at, n, e, ok)`
          }
            WHERE ok
            RETURNING id
        )
        INSERT INTO reservation_holds (reservation_id, budget_id, window_start, amount)
          SELECT h_ids[t.h], w_budgets[t.x], w_starts[t.x], h_amounts[t.h]
          FROM unnest(b_holds, b_windows) AS t(h, x)
          WHERE accepted[t.h] AND h_ids[t.h] IN (SELECT id FROM placed);
      END
      $$`;
}

/**
 * Holds in batches, a notification when budget or velocity definitions change, a stable
 * paging key for budgets, and the decision log written in one statement.
 *
 * `purser_hold_batch` places many holds in one statement, so one transaction and one commit
 * for all of them: the budget window rows and velocity counters every hold of the batch
 * touches are created if missing and locked once, in a fixed order (budget id, window
 * start; then limit id, scope value, window start), and the holds are then decided one after
 * the other in the order given, each on the values the holds before it left — each hold is
 * still all or nothing. Limits and modes are read from `budgets` here, under the window
 * locks, so a replica with an out-of-date copy of a budget cannot hold past its current
 * limit. For every hold it answers why it was refused (NULL when placed) and the counters
 * it saw before its own increment — the exact state the decision must be made on.
 *
 * Windows and counters come as distinct lists (`w_*`, `k_*`); each budget row of a hold
 * (`b_*`) and each counter row (`c_*`) points into them by position, and rows are grouped by
 * hold, in hold order. `flush` false lets the commit return before the write-ahead log reaches
 * the disk (PURSER_HOLD_SYNC_COMMIT=false).
 */
export class HoldBatch1763900500000 implements MigrationInterface {
  name = 'HoldBatch1763900500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(holdBatchFunction(false));
    await queryRunner.query(
      `DROP FUNCTION purser_hold(uuid, text, numeric, text, jsonb, timestamptz, timestamptz, uuid[], timestamptz[], timestamptz[], numeric[], boolean[], uuid[], text[], timestamptz[], numeric[], numeric[])`,
    );
    // Budgets page by insertion order on a key of their own, so a deletion between two pages
    // shifts nothing (row numbers over the live budgets did).
    await queryRunner.query(
      `ALTER TABLE budgets ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX budgets_seq ON budgets (seq)`);
    // The decision log in one round trip, committed without waiting for the WAL flush (the
    // log is buffered in memory before it gets here anyway).
    await queryRunner.query(`
      CREATE FUNCTION purser_record_decisions(batch json) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        INSERT INTO decisions (id, created_at, path, key_id, provider, requested_model, model, action, allow,
                               attribution, request, reasons, budgets, estimated_cost, currency, reservation_id,
                               policy_revision, latency_ms)
          SELECT id, created_at, path, key_id, provider, requested_model, model, action, allow, attribution, request,
                 reasons, budgets, estimated_cost, currency, reservation_id, policy_revision, latency_ms
          FROM json_to_recordset(batch) AS x(id text, created_at timestamptz, path text, key_id text, provider text,
               requested_model text, model text, action text, allow boolean, attribution jsonb, request jsonb,
               reasons jsonb, budgets jsonb, estimated_cost numeric, currency text, reservation_id uuid,
               policy_revision text, latency_ms double precision)
          ON CONFLICT (id) DO NOTHING;
      END
      $$`);
    // Replicas cache budget and velocity definitions; a change tells them all at commit.
    await queryRunner.query(`
      CREATE FUNCTION purser_notify_definitions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('purser_definitions', TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    for (const table of ['budgets', 'velocity_limits']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE ON ${table}
         FOR EACH STATEMENT EXECUTE FUNCTION purser_notify_definitions()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION purser_record_decisions(json)`);
    await queryRunner.query(`ALTER TABLE budgets DROP COLUMN seq`);
    for (const table of ['budgets', 'velocity_limits']) {
      await queryRunner.query(`DROP TRIGGER ${table}_changed ON ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION purser_notify_definitions()`);
    await queryRunner.query(
      `DROP FUNCTION purser_hold_batch(uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], timestamptz[], timestamptz[], integer[], integer[], uuid[], text[], timestamptz[], integer[], integer[], numeric[], numeric[], boolean)`,
    );
    await new HoldFunction1763900400000().up(queryRunner);
  }
}
