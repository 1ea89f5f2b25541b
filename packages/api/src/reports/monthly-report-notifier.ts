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

/**
 * How many closed months, counting the last, a pass catches up after downtime. Older missed
 * months are passed over (logged): a database restored from an old backup, or an install
 * revived after a year, would otherwise send every webhook a year of reports, whose totals
 * miss usage too old to ingest; and a clock set far ahead uses up at most these months near
 * its own "now", not the real months after the newest notice.
 */
export const CATCH_UP_MONTHS = 3;

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const nextMonth = (start: Date) => monthStart(start.getUTCFullYear(), start.getUTCMonth() + 1);
const monthName = (start: Date) => start.toISOString().slice(0, 7);

/**
 * Announces each closed UTC month's report once (MONTHLY_REPORT), {@link ANNOUNCE_GRACE_MS}
 * after the month ends. A pass announces, oldest first, every closed month after the newest
 * one recorded in `monthly_report_notices` (of the last {@link CATCH_UP_MONTHS}), so months
 * missed while the service was down or failing are announced late rather than never; on a database with no notice yet it
 * announces only the last closed month (a new install does not announce all of history).
 * Each month is recorded and its notice put in the webhook outbox in one transaction, and
 * the record is claimed with an insert that another replica's claim makes a no-op, so
 * replicas and restarts announce a month exactly once. A month is announced even when no
 * webhook listens (a webhook created later does not get past months' reports). A month
 * that fails is not recorded, and the pass stops there: announcing a later month would move
 * the newest record past it, so the next pass tries it again.
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

  /**
   * One pass; answers the newest month it announced (after downtime it may have announced
   * older ones before it), or null. A pass under way is not run twice.
   */
  runOnce(): Promise<string | null> {
    return this.passes.run();
  }

  private async announce(): Promise<string | null> {
    let newest: string | null = null;
    for (const from of await this.monthsDue()) {
      try {
        newest = (await this.announceMonth(from)) ?? newest;
      } catch (error) {
        this.deps.logger.warn(
          { err: error, month: monthName(from) },
          'monthly report notice failed; will retry',
        );
        break;
      }
    }
    return newest;
  }

  /** The closed months to announce, oldest first (the first of each month, UTC). */
  private async monthsDue(): Promise<Date[]> {
    // The month that ended at least the grace ago: late usage (a NATS backlog) is in.
    const now = new Date(this.deps.clock().getTime() - ANNOUNCE_GRACE_MS);
    const lastClosed = monthStart(now.getUTCFullYear(), now.getUTCMonth() - 1);
    // A notice of a month not closed yet (written while the clock ran ahead, before catch-up
    // existed) is passed over: taken as the newest, it would hold every month up to it back.
    const [recorded] = (await this.deps.dataSource.query(
      `SELECT max(month) FILTER (WHERE month <= $1) AS newest, count(*)::int AS notices
       FROM monthly_report_notices`,
      [monthName(lastClosed)],
    )) as { newest: string | null; notices: number }[];
    if (!recorded || recorded.notices === 0) return [lastClosed];
    // Every notice is of a later month: the clock went back, and those months are done.
    if (recorded.newest === null) return [];
    const [year, month] = recorded.newest.split('-').map(Number) as [number, number];
    // `month` counts from 1, Date.UTC's from 0: monthStart(year, month) is the month after.
    let from = monthStart(year, month);
    const oldest = monthStart(
      lastClosed.getUTCFullYear(),
      lastClosed.getUTCMonth() - CATCH_UP_MONTHS + 1,
    );
    if (from < oldest) {
      this.deps.logger.warn(
        { from: monthName(from), until: monthName(oldest), newest_notice: recorded.newest },
        `monthly reports of months closed more than ${CATCH_UP_MONTHS} months ago are not announced`,
      );
      from = oldest;
    }
    const due: Date[] = [];
    for (; from <= lastClosed; from = nextMonth(from)) due.push(from);
    return due;
  }

  /** Announces the month starting at `from`; answers it, or null when another replica did. */
  private async announceMonth(from: Date): Promise<string | null> {
    const { dataSource } = this.deps;
    const to = nextMonth(from);
    const previous = monthStart(from.getUTCFullYear(), from.getUTCMonth() - 1);
    const month = monthName(from);
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
      // Another replica announced it since this pass looked (the insert waits for its
      // commit, so the month is done): the pass goes on to the next one.
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
