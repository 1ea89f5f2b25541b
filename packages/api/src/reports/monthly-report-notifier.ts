import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../observability/logger';
import { PeriodicPass } from '../runtime/periodic-pass';
import type { SpendService } from '../usage/spend.service';
import { REPORT_CURRENCY } from './monthly-report.service';

/** The MONTHLY_REPORT notification's data (docs/notifications.md). */
export interface MonthlyReportNotice {
  month: string;
  total: string;
  currency: string;
  previous_total: string;
  /** The PDF report, when the service knows the address it is reached at. */
  url?: string;
}

/** Puts the notice in the webhook outbox inside `manager`'s transaction; answers deliveries. */
export type NotifyMonthlyReport = (
  data: MonthlyReportNotice,
  options: { id: string; occurredAt: Date; manager: EntityManager },
) => Promise<number>;

export interface MonthlyReportNotifierDependencies {
  dataSource: DataSource;
  spend: Pick<SpendService, 'report'>;
  notify: NotifyMonthlyReport;
  clock: () => Date;
  logger: Logger;
  /** How often a pass looks for a closed month not announced yet. */
  intervalMs: number;
  /** Public base URL of the service (`PURSER_PUBLIC_URL`); null: no link in the notice. */
  publicUrl: string | null;
}

/** How long after a month ends it is announced: usage sent late is counted first. */
export const ANNOUNCE_GRACE_MS = 6 * 3_600_000;

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const monthName = (start: Date) => start.toISOString().slice(0, 7);

/**
 * Announces each closed UTC month's report once (MONTHLY_REPORT), {@link ANNOUNCE_GRACE_MS}
 * after the month ends: a pass takes the month that ended that long ago, records it in `monthly_report_notices` and puts
 * the notice in the webhook outbox in the same transaction, so replicas and restarts
 * announce a month exactly once. A month is announced even when no webhook listens (a
 * webhook created later does not get past months' reports). A failed pass records nothing
 * and the next one tries again.
 */
export class MonthlyReportNotifier {
  private readonly passes = new PeriodicPass(
    () =>
      this.announce().catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'monthly report notice failed; will retry');
        return null;
      }),
    (error) => this.deps.logger.error({ err: error }, 'monthly report pass failed; will retry'),
  );

  constructor(private readonly deps: MonthlyReportNotifierDependencies) {}

  start(): void {
    this.passes.start(this.deps.intervalMs);
    void this.runOnce();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /** One pass; answers the month it announced, or null. A pass under way is not run twice. */
  runOnce(): Promise<string | null> {
    return this.passes.run();
  }

  private async announce(): Promise<string | null> {
    const { dataSource, clock } = this.deps;
    // The month that ended at least the grace ago: late usage (a NATS backlog) is in.
    const now = new Date(clock().getTime() - ANNOUNCE_GRACE_MS);
    const to = monthStart(now.getUTCFullYear(), now.getUTCMonth());
    const from = monthStart(to.getUTCFullYear(), to.getUTCMonth() - 1);
    const previous = monthStart(from.getUTCFullYear(), from.getUTCMonth() - 1);
    const month = monthName(from);
    const done: unknown[] = await dataSource.query(
      `SELECT 1 FROM monthly_report_notices WHERE month = $1`,
      [month],
    );
    if (done.length > 0) return null;
    const [total, previousTotal] = await Promise.all([
      this.total(from, to),
      this.total(previous, from),
    ]);
    const notice: MonthlyReportNotice = {
      month,
      total,
      currency: REPORT_CURRENCY,
      previous_total: previousTotal,
      ...(this.deps.publicUrl === null
        ? {}
        : {
            url: `${this.deps.publicUrl.replace(/\/+$/, '')}/v1/reports/monthly?month=${month}&format=pdf`,
          }),
    };
    return dataSource.transaction(async (manager) => {
      const claimed: unknown[] = await manager.query(
        `INSERT INTO monthly_report_notices (month, total, currency, webhooks)
         VALUES ($1, $2, $3, 0) ON CONFLICT (month) DO NOTHING RETURNING month`,
        [month, total, REPORT_CURRENCY],
      );
      // Another replica announced it between the check and here.
      if (claimed.length === 0) return null;
      const webhooks = await this.deps.notify(notice, {
        id: `monthly-report:${month}`,
        occurredAt: to,
        manager,
      });
      await manager.query(`UPDATE monthly_report_notices SET webhooks = $2 WHERE month = $1`, [
        month,
        webhooks,
      ]);
      this.deps.logger.info({ month, total, webhooks }, 'monthly report announced');
      return month;
    });
  }

  private async total(from: Date, to: Date): Promise<string> {
    const report = await this.deps.spend.report({
      from,
      to,
      groupBy: [],
      filter: {},
      currency: REPORT_CURRENCY,
    });
    return report.total;
  }
}
