import { Money } from '@purser/pricing';
import type { EntityManager } from 'typeorm';
import { zeroSums, type SumsByCenter } from './chargeback-report';

export interface ClosedPeriod {
  month: string;
  closedAt: Date;
}

/** Months closed now, oldest first. */
export async function closedPeriods(manager: EntityManager): Promise<ClosedPeriod[]> {
  const rows: { month: string; closed_at: Date }[] = await manager.query(
    `SELECT month, closed_at FROM allocation_periods WHERE state = 'CLOSED' ORDER BY month`,
  );
  return rows.map((row) => ({ month: row.month, closedAt: new Date(row.closed_at) }));
}

/** A closed month's frozen money in one currency (none stored: all zero). */
export async function frozenSums(
  manager: EntityManager,
  month: string,
  currency: string,
): Promise<SumsByCenter> {
  const rows: {
    cost_center: string | null;
    direct: string;
    shared: string;
    true_up: string;
  }[] = await manager.query(
    `SELECT cost_center, direct::text AS direct, shared::text AS shared, true_up::text AS true_up
     FROM allocation_period_rows WHERE month = $1 AND currency = $2`,
    [month, currency],
  );
  const sums: SumsByCenter = new Map([[null, zeroSums()]]);
  for (const row of rows) {
    sums.set(row.cost_center, {
      direct: new Money(row.direct),
      shared: new Money(row.shared),
      trueUp: new Money(row.true_up),
    });
  }
  return sums;
}

/** The month after "2026-11" ("2026-12"). */
export function nextMonth(month: string): string {
  const [year, index] = month.split('-').map(Number);
  const next = new Date(Date.UTC(year, index, 1));
  return next.toISOString().slice(0, 7);
}
