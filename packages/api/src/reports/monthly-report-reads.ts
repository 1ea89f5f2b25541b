import { formatDecimal, Money } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import type { BudgetOutcome } from './monthly-report-types';

/** Most business metrics the report shows unit costs for (largest count of records first). */
export const MAX_REPORT_METRICS = 20;
/** Most budgets the report lists. */
export const MAX_REPORT_BUDGETS = 500;

/**
 * The report's own reads: small, bounded aggregates over tables the other domains own
 * (read only). The services of those domains answer the rest (spend, chargeback,
 * reconciliation, unit economics).
 */
export class MonthlyReportReads {
  constructor(private readonly dataSource: DataSource) {}

  /** Business metrics recorded in [from, to), most records first, at most {@link MAX_REPORT_METRICS}. */
  async metricNames(from: Date, to: Date): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT name FROM business_metrics WHERE occurred_at >= $1 AND occurred_at < $2
       GROUP BY name ORDER BY count(*) DESC, name LIMIT ${MAX_REPORT_METRICS}`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => row.name);
  }

  /** Providers whose bill (cost lines in `currency`) covers a day of [from, to). */
  async billedProviders(from: Date, to: Date, currency: string): Promise<string[]> {
    const rows: { provider: string }[] = await this.dataSource.query(
      `SELECT DISTINCT provider FROM provider_cost_lines
       WHERE day >= $1::timestamptz::date AND day < $2::timestamptz::date AND currency = $3
       ORDER BY provider`,
      [from.toISOString(), to.toISOString(), currency],
    );
    return rows.map((row) => row.provider);
  }

  /**
   * Every budget that existed during [from, to) or counted spend in it (usage is often sent
   * late): its windows overlapping the range, their spend, the peak window, windows over the
   * limit, and the thresholds crossed in them.
   */
  async budgetOutcomes(from: Date, to: Date): Promise<BudgetOutcome[]> {
    const range = [from.toISOString(), to.toISOString()];
    const rows: Record<string, string | null>[] = await this.dataSource.query(
      `SELECT b.id::text AS id, b.name, b.period, b.currency, b.limit_amount::text AS limit_amount,
              count(w.window_start) FILTER (WHERE w.spent > 0)::text AS windows,
              coalesce(sum(w.spent), 0)::text AS spent, coalesce(max(w.spent), 0)::text AS peak,
              count(*) FILTER (WHERE w.spent > b.limit_amount)::text AS over_limit
       FROM budgets b
       LEFT JOIN budget_windows w ON w.budget_id = b.id AND w.window_start < $2
         AND (w.window_end IS NULL OR w.window_end > $1)
       WHERE b.deleted_at IS NULL OR b.deleted_at >= $1
       GROUP BY b.id
       HAVING b.created_at < $2 OR count(w.window_start) > 0
       ORDER BY b.name, b.id LIMIT ${MAX_REPORT_BUDGETS}`,
      range,
    );
    const alerts: { budget_id: string; threshold: string }[] = await this.dataSource.query(
      `SELECT DISTINCT a.budget_id::text AS budget_id, a.threshold::text AS threshold
       FROM budget_alerts a
       JOIN budget_windows w ON w.budget_id = a.budget_id AND w.window_start = a.window_start
       WHERE w.window_start < $2 AND (w.window_end IS NULL OR w.window_end > $1)`,
      range,
    );
    const crossed = new Map<string, string[]>();
    for (const alert of alerts) {
      const list = crossed.get(alert.budget_id) ?? [];
      list.push(formatDecimal(alert.threshold));
      crossed.set(alert.budget_id, list);
    }
    return rows.map((row) => {
      const limit = new Money(row.limit_amount!);
      const peak = new Money(row.peak!);
      return {
        id: row.id!,
        name: row.name!,
        period: row.period!,
        currency: row.currency!,
        limit: formatDecimal(limit),
        windows: Number(row.windows),
        spent: formatDecimal(row.spent!),
        peak: formatDecimal(peak),
        peakPercent: limit.isZero()
          ? null
          : peak.dividedBy(limit).times(100).toDecimalPlaces(1).toFixed(1),
        overLimit: Number(row.over_limit),
        alerts: (crossed.get(row.id!) ?? []).sort((left, right) =>
          new Money(left).comparedTo(right),
        ),
      };
    });
  }
}
