import type { DataSource, EntityManager } from 'typeorm';
import { badInput, PurserError } from '../errors';
import { underAllocationLock } from './allocation-rules.service';
import type { ActorValue, PeriodEventValue, PeriodValue } from './allocation-types';
import { monthRange } from './allocation-validate';
import { sumsOf } from './chargeback-report';
import { DEFAULT_CURRENCY, tuneForAggregation, type ChargebackService } from './chargeback.service';

const conflict = (message: string) => new PurserError({ code: 'CONFLICT', message });

/**
 * Periods (UTC calendar months): a close stores the month's chargeback per currency and
 * cost center (frozen: later rule changes or late usage do not change it); a reopen drops the
 * frozen rows. Both are recorded with who did it (and why, for a reopen).
 */
export class AllocationPeriodService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly chargeback: ChargebackService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async close(month: string, actor?: ActorValue): Promise<PeriodValue> {
    const range = monthRange(month);
    if (range.end > this.clock()) {
      throw badInput(`month: ${month} has not ended yet (it ends ${range.end.toISOString()})`);
    }
    // Rule writes take the same lock: the versions this close reads are exactly those
    // recorded before its closed_at.
    await underAllocationLock(this.dataSource, async (manager) => {
      await tuneForAggregation(manager);
      const current: { state: string }[] = await manager.query(
        `SELECT state FROM allocation_periods WHERE month = $1 FOR UPDATE`,
        [month],
      );
      if (current[0]?.state === 'CLOSED') throw conflict(`month: ${month} is already closed`);
      const [{ now }]: { now: Date }[] = await manager.query(`SELECT clock_timestamp() AS now`);
      await manager.query(
        `INSERT INTO allocation_periods (month, state, closed_at, closed_by) VALUES ($1, 'CLOSED', $2, $3)
         ON CONFLICT (month) DO UPDATE SET state = 'CLOSED', closed_at = $2, closed_by = $3`,
        [month, now, actor?.keyId ?? null],
      );
      const currencies: { currency: string }[] = await manager.query(
        `SELECT DISTINCT currency FROM usage_hourly WHERE hour >= $1 AND hour < $2`,
        [range.start.toISOString(), range.end.toISOString()],
      );
      const all = new Set([DEFAULT_CURRENCY, ...currencies.map((row) => row.currency)]);
      for (const currency of all) {
        const run = { from: range.start, to: range.end, currency };
        const outcome = await this.chargeback.live(manager, run);
        // Frozen with the true-up of the bill synced so far; a later bill shows as an adjustment.
        const sums = await this.chargeback.trueUp(manager, run, sumsOf(outcome));
        await this.freeze(manager, month, currency, sums);
      }
      await this.record(manager, month, 'CLOSE', actor, null);
    });
    return this.period(month);
  }

  async reopen(month: string, reason: string, actor?: ActorValue): Promise<PeriodValue> {
    monthRange(month);
    if (typeof reason !== 'string' || reason.trim().length === 0) {
      throw badInput('reason: a reason is required to reopen a period');
    }
    if (reason.length > 1000) throw badInput('reason: at most 1000 characters');
    if (reason.includes('\u0000')) throw badInput('reason: must not contain U+0000');
    await underAllocationLock(this.dataSource, async (manager) => {
      const current: { state: string }[] = await manager.query(
        `SELECT state FROM allocation_periods WHERE month = $1 FOR UPDATE`,
        [month],
      );
      if (current[0]?.state !== 'CLOSED') throw conflict(`month: ${month} is not closed`);
      await manager.query(`DELETE FROM allocation_period_rows WHERE month = $1`, [month]);
      await manager.query(
        `UPDATE allocation_periods SET state = 'OPEN', closed_at = NULL, closed_by = NULL WHERE month = $1`,
        [month],
      );
      await this.record(manager, month, 'REOPEN', actor, reason.trim());
    });
    return this.period(month);
  }

  /** Every month ever closed, with its history, newest first. */
  async list(): Promise<PeriodValue[]> {
    const rows: { month: string }[] = await this.dataSource.query(
      `SELECT month FROM allocation_periods ORDER BY month DESC`,
    );
    return Promise.all(rows.map((row) => this.period(row.month)));
  }

  private async period(month: string): Promise<PeriodValue> {
    const [period]: {
      state: 'OPEN' | 'CLOSED';
      closed_at: Date | null;
      closed_by: string | null;
    }[] = await this.dataSource.query(
      `SELECT state, closed_at, closed_by FROM allocation_periods WHERE month = $1`,
      [month],
    );
    const events: {
      action: PeriodEventValue['action'];
      at: Date;
      by_key: string | null;
      by_name: string | null;
      role: string;
      reason: string | null;
    }[] = await this.dataSource.query(
      `SELECT action, at, by_key, by_name, role, reason FROM allocation_period_events
       WHERE month = $1 ORDER BY id`,
      [month],
    );
    return {
      month,
      state: period?.state ?? 'OPEN',
      closedAt: period?.closed_at ? new Date(period.closed_at) : null,
      closedBy: period?.closed_by ?? null,
      history: events.map((event) => ({
        action: event.action,
        at: new Date(event.at),
        by: event.by_key,
        byName: event.by_name,
        role: event.role,
        reason: event.reason,
      })),
    };
  }

  private async freeze(
    manager: EntityManager,
    month: string,
    currency: string,
    sums: ReturnType<typeof sumsOf>,
  ) {
    const centers = await this.chargeback.centerMap();
    for (const [code, entry] of sums) {
      const total = entry.direct.plus(entry.shared).plus(entry.trueUp);
      await manager.query(
        `INSERT INTO allocation_period_rows (month, currency, cost_center, gl_account, direct, shared, true_up, total)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          month,
          currency,
          code,
          code === null ? null : (centers.get(code)?.glAccount ?? null),
          entry.direct.toFixed(),
          entry.shared.toFixed(),
          entry.trueUp.toFixed(),
          total.toFixed(),
        ],
      );
    }
  }

  private async record(
    manager: EntityManager,
    month: string,
    action: 'CLOSE' | 'REOPEN',
    actor: ActorValue | undefined,
    reason: string | null,
  ) {
    await manager.query(
      `INSERT INTO allocation_period_events (month, action, by_key, by_name, role, reason)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [month, action, actor?.keyId ?? null, actor?.name ?? null, actor?.role ?? 'admin', reason],
    );
  }
}
