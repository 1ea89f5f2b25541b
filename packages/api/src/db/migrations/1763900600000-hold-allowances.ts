import type { MigrationInterface, QueryRunner } from 'typeorm';
import { holdBatchFunction } from './1763900500000-hold-batch';

/**
 * `purser_allowance_sync` (see {@link HoldAllowances1763900600000}); with `keyed`
 * (1763900800000) each hold written also names the API key that placed it (`h_keys`).
 */
export function allowanceSyncFunction(keyed = false): string {
  return `
      CREATE FUNCTION purser_allowance_sync(
        replica uuid, ttl_ms integer, share numeric,
        h_ids uuid[], h_decisions text[], h_amounts numeric[], h_currencies text[], h_attributions jsonb[],
        h_now timestamptz[], h_expires timestamptz[],${keyed ? ' h_keys uuid[],' : ''}
        b_holds integer[], b_windows integer[],
        w_budgets uuid[], w_starts timestamptz[], w_ends timestamptz[], w_keep numeric[], w_targets numeric[],
        flush boolean
      ) RETURNS TABLE (o_allowance text, o_desired text, o_spent text, o_reserved text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        nw integer := coalesce(array_length(w_budgets, 1), 0);
        found_rows bigint;
        expires timestamptz := clock_timestamp() + ttl_ms * interval '1 millisecond';
      BEGIN
        IF NOT flush THEN
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        IF nw = 0 THEN
          RETURN;
        END IF;
        FOR attempt IN 1 .. 2 LOOP
          PERFORM 1 FROM budget_windows w
            WHERE (w.budget_id, w.window_start) IN (SELECT * FROM unnest(w_budgets, w_starts))
            ORDER BY w.budget_id, w.window_start FOR UPDATE;
          GET DIAGNOSTICS found_rows = ROW_COUNT;
          EXIT WHEN found_rows = nw;
          IF attempt = 2 THEN
            RAISE EXCEPTION 'purser_allowance_sync: % of % budget windows exist', found_rows, nw
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          INSERT INTO budget_windows (budget_id, window_start, window_end)
            SELECT b, s, e FROM unnest(w_budgets, w_starts, w_ends) AS t(b, s, e) ORDER BY 1, 2
            ON CONFLICT DO NOTHING;
        END LOOP;
        -- Expired allowances (a replica that stopped without giving them back) and this
        -- replica's own previous ones give their room back.
        WITH gone AS (
          DELETE FROM hold_allowances a USING unnest(w_budgets, w_starts) AS t(b, s)
          WHERE a.budget_id = t.b AND a.window_start = t.s
            AND (a.replica_id = replica OR a.expires_at <= clock_timestamp())
          RETURNING a.budget_id, a.window_start, a.amount
        ), freed AS (
          SELECT budget_id, window_start, sum(amount) AS amount FROM gone GROUP BY 1, 2
        )
        UPDATE budget_windows w SET allowed = w.allowed - f.amount
          FROM freed f WHERE w.budget_id = f.budget_id AND w.window_start = f.window_start;
        IF coalesce(array_length(h_ids, 1), 0) > 0 THEN
          -- A sync retried after a lost answer finds its holds written: they count once.
          WITH placed AS (
            ${
              keyed
                ? `INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at, key_id)
              SELECT id, d, 'held', a, cu, at, n, e, k
              FROM unnest(h_ids, h_decisions, h_amounts, h_currencies, h_attributions, h_now, h_expires, h_keys)
                AS t(id, d, a, cu, at, n, e, k)`
                : `INSERT INTO reservations (id, decision_id, status, amount, currency, attribution, created_at, expires_at)
              SELECT id, d, 'held', a, cu, at, n, e
              FROM unnest(h_ids, h_decisions, h_amounts, h_currencies, h_attributions, h_now, h_expires)
                AS t(id, d, a, cu, at, n, e)`
            }
              ON CONFLICT DO NOTHING
              RETURNING id
          ), held AS (
            INSERT INTO reservation_holds (reservation_id, budget_id, window_start, amount)
              SELECT h_ids[t.h], w_budgets[t.x], w_starts[t.x], h_amounts[t.h]
              FROM unnest(b_holds, b_windows) AS t(h, x)
              WHERE h_ids[t.h] IN (SELECT id FROM placed)
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
            FROM unnest(w_budgets, w_starts, w_keep, w_targets) WITH ORDINALITY AS t(b, s, keep, target, n)
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
}

/**
 * Hold allowances (docs/0005-hold-allowances.md): a replica under sustained load on a budget
 * window takes a small share of its room, and places holds within it in memory, writing
 * them behind. The room a window has lent out is `budget_windows.allowed` (holds stay in
 * `reserved`, so every reader of `reserved` still sees holds only); `hold_allowances` says
 * which replica has how much until when.
 *
 * `purser_allowance_sync` is a replica's one statement per sync, under the window locks in
 * the usual order (budget id, window start): it gives back the room of every expired
 * allowance on those windows and the replica's own previous allowances, writes the holds the
 * replica placed in memory since its last sync (`h_*`, `b_*` as for `purser_hold_batch`,
 * unconditionally: they were placed within its allowance and answered; once, when a retried
 * sync finds them written), and grants each
 * window a new allowance of
 *
 *   greatest(keep, least(target, share × room))
 *
 * where `keep` is what the replica may still place while this sync is on its way (already
 * lent, so keeping it moves no total), `target` what its traffic asks for, and `room` the
 * limit minus spent, reserved and what other replicas hold (an alert_only budget: the
 * target; a deleted one, or one where a refused hold wants the lent room back
 * (`allowance_wanted_at` within `ttl_ms`): `keep` only). An allowance expires `ttl_ms` after the statement
 * runs, by the database's clock. Answers, per window in the order given, the allowance
 * granted, the share the replica may keep using (`desired`: without `keep`, so an allowance
 * shrinks as the room does), and spent and reserved after the holds.
 */
export class HoldAllowances1763900600000 implements MigrationInterface {
  name = 'HoldAllowances1763900600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE budget_windows ADD COLUMN allowed numeric NOT NULL DEFAULT 0`,
    );
    // Set by a replica whose hold was refused on room that is only lent: every replica's
    // next sync on the window gives its allowance back, and none is granted for `ttl_ms`.
    await queryRunner.query(
      `ALTER TABLE budget_windows ADD COLUMN allowance_wanted_at timestamptz`,
    );
    await queryRunner.query(`
      CREATE TABLE hold_allowances (
        budget_id uuid NOT NULL,
        window_start timestamptz NOT NULL,
        replica_id uuid NOT NULL,
        amount numeric NOT NULL CHECK (amount > 0),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (budget_id, window_start, replica_id),
        FOREIGN KEY (budget_id, window_start) REFERENCES budget_windows (budget_id, window_start)
      )`);
    await queryRunner.query(`CREATE INDEX hold_allowances_expiry ON hold_allowances (expires_at)`);
    await queryRunner.query(holdBatchFunction(true));
    await queryRunner.query(allowanceSyncFunction());
    // Allowances of replicas that stopped without giving them back, released by the sweeper
    // in lock order.
    await queryRunner.query(`
      CREATE FUNCTION purser_expire_allowances() RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        released integer;
      BEGIN
        PERFORM 1 FROM budget_windows w
          WHERE (w.budget_id, w.window_start) IN
                (SELECT budget_id, window_start FROM hold_allowances WHERE expires_at <= clock_timestamp())
          ORDER BY w.budget_id, w.window_start FOR UPDATE;
        WITH gone AS (
          DELETE FROM hold_allowances WHERE expires_at <= clock_timestamp()
          RETURNING budget_id, window_start, amount
        ), freed AS (
          SELECT budget_id, window_start, sum(amount) AS amount, count(*) AS n FROM gone GROUP BY 1, 2
        ), moved AS (
          UPDATE budget_windows w SET allowed = w.allowed - f.amount
            FROM freed f WHERE w.budget_id = f.budget_id AND w.window_start = f.window_start
        )
        SELECT coalesce(sum(n), 0) INTO released FROM freed;
        RETURN released;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION purser_expire_allowances()`);
    await queryRunner.query(
      `DROP FUNCTION purser_allowance_sync(uuid, integer, numeric, uuid[], text[], numeric[], text[], jsonb[], timestamptz[], timestamptz[], integer[], integer[], uuid[], timestamptz[], timestamptz[], numeric[], numeric[], boolean)`,
    );
    await queryRunner.query(
      holdBatchFunction(false).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'),
    );
    await queryRunner.query(`DROP TABLE hold_allowances`);
    await queryRunner.query(`ALTER TABLE budget_windows DROP COLUMN allowance_wanted_at`);
    await queryRunner.query(`ALTER TABLE budget_windows DROP COLUMN allowed`);
  }
}
