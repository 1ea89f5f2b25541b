import type { DataSource, EntityManager } from 'typeorm';
import type { AllocationService } from '../allocation/allocation.service';
import type { BudgetService } from '../budgets/budget.service';
import { badInput, notFound } from '../errors';
import { HISTORY_DAYS, forecastSpend, type ForecastMethod } from './forecast-method';
import { allocatedByDay, localDays, localMidnight, spendDays, usageByDay } from './forecast-series';

/** Which spend to forecast: exactly one of these. */
export interface ForecastScopeValue {
  budgetId?: string | null;
  /** A cost center's code… */
  costCenter?: string | null;
  /** …or its id. */
  costCenterId?: string | null;
  org?: boolean | null;
}

export interface ForecastValue {
  /** {"budgetId", "name", "scope"} | {"costCenter", "name"} | {"org": true}. */
  scope: Record<string, unknown>;
  /** The budget's period (daily, weekly, monthly) or the UTC month (`2026-12`). */
  period: string;
  periodStart: Date;
  periodEnd: Date;
  /** The instant the forecast was made at. */
  asOf: Date;
  currency: string;
  timezone: string;
  /** The budget's limit; null for cost centers and the org. */
  limit: string | null;
  actualToDate: string;
  projected: string;
  low: string;
  high: string;
  dailyRate: string;
  historyDays: number;
  method: ForecastMethod;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const plain = (value: { isZero(): boolean; toFixed(): string }) =>
  value.isZero() ? '0' : value.toFixed();

/** The UTC month `period` (`YYYY-MM`, default: the month of `now`), never after now's month. */
export function monthOf(
  period: string | null | undefined,
  now: Date,
): { start: Date; end: Date; name: string } {
  const name = period ?? now.toISOString().slice(0, 7);
  const match = MONTH.exec(name);
  if (!match) {
    throw badInput(
      `period: must be a month as YYYY-MM, such as 2026-12 (got ${JSON.stringify(name).slice(0, 40)})`,
    );
  }
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
  if (start > now)
    throw badInput(
      `period: ${name} has not started; forecasts cover the current month or a past one`,
    );
  return { start, end, name };
}

/** Exactly one scope given; BAD_USER_INPUT naming the fields otherwise. */
export function scopeKind(scope: ForecastScopeValue): 'budget' | 'costCenter' | 'org' {
  const given = [
    scope.budgetId !== undefined && scope.budgetId !== null ? 'budgetId' : null,
    scope.costCenter !== undefined && scope.costCenter !== null ? 'costCenter' : null,
    scope.costCenterId !== undefined && scope.costCenterId !== null ? 'costCenterId' : null,
    scope.org === true ? 'org' : null,
  ].filter((field): field is string => field !== null);
  if (given.length !== 1) {
    throw badInput(
      `scope: give exactly one of budgetId, costCenter, costCenterId or org: true (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  }
  return given[0] === 'budgetId' ? 'budget' : given[0] === 'org' ? 'org' : 'costCenter';
}

/**
 * End-of-period spend forecasts (forecast-method.ts) for a budget (its scope, currency and
 * window, in its time zone), a cost center (its allocated spend per UTC month) or the whole
 * organisation (its spend per UTC month). The series reads the 56 days before today and the
 * period; every read is bounded by that.
 */
export class ForecastService {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      budgets: BudgetService;
      allocation: AllocationService;
      clock: () => Date;
    },
  ) {}

  async forecast(
    scope: ForecastScopeValue,
    options: { period?: string | null; currency: string },
  ): Promise<ForecastValue> {
    const kind = scopeKind(scope);
    const now = this.deps.clock();
    const manager = this.deps.dataSource.manager;
    if (kind === 'budget') {
      if (options.period !== undefined && options.period !== null) {
        throw badInput("period: a budget's forecast is for its current window; leave period out");
      }
      const budget = await this.deps.budgets.get(String(scope.budgetId), now);
      if (!budget) throw notFound('budget', String(scope.budgetId));
      if (!budget.windowEnd) {
        throw badInput(
          `scope.budgetId: budget "${budget.id}" has period total: its window never ends, so there is nothing to forecast`,
        );
      }
      const zone = budget.timezone;
      const { days, start } = await this.series(
        manager,
        zone,
        budget.windowStart,
        budget.windowEnd,
        now,
      );
      const spend = await usageByDay(manager, {
        from: start,
        to: now,
        zone,
        currency: budget.currency,
        scope: budget.scope,
      });
      return this.answer({
        scope: { budgetId: budget.id, name: budget.name, scope: budget.scope },
        period: budget.period,
        periodStart: budget.windowStart,
        periodEnd: budget.windowEnd,
        now,
        currency: budget.currency,
        timezone: zone,
        limit: budget.limit,
        days: spendDays(days, spend),
      });
    }
    const month = monthOf(options.period, now);
    const { days, start } = await this.series(manager, 'UTC', month.start, month.end, now);
    const to = now < month.end ? now : month.end;
    const range = { from: start, to, currency: options.currency };
    const { answerScope, spend } =
      kind === 'org'
        ? {
            answerScope: { org: true },
            spend: await usageByDay(manager, { ...range, zone: 'UTC', scope: {} }),
          }
        : await this.costCenterSpend(scope, range);
    return this.answer({
      scope: answerScope,
      period: month.name,
      periodStart: month.start,
      periodEnd: month.end,
      now,
      currency: options.currency,
      timezone: 'UTC',
      limit: null,
      days: spendDays(days, spend),
    });
  }

  /** A cost center's allocated spend per UTC day and its scope in the answer; NOT_FOUND when unknown. */
  private async costCenterSpend(
    scope: ForecastScopeValue,
    range: { from: Date; to: Date; currency: string },
  ) {
    const wanted = String(scope.costCenter ?? scope.costCenterId);
    const centers = await this.deps.allocation.listCostCenters({ includeInactive: true });
    const center = centers.find((item) =>
      scope.costCenter ? item.code === wanted : item.id === wanted,
    );
    if (!center) throw notFound('cost center', wanted);
    return {
      answerScope: { costCenter: center.code, costCenterId: center.id, name: center.name },
      spend: await allocatedByDay(this.deps.allocation, { ...range, costCenter: center.code }),
    };
  }

  /** The days from 56 days before today (or before the period's end, once over) to the period's end. */
  private async series(
    manager: EntityManager,
    zone: string,
    periodStart: Date,
    periodEnd: Date,
    now: Date,
  ) {
    const asOf = now < periodEnd ? now : new Date(periodEnd.getTime() - 1);
    const historyStart = await localMidnight(manager, zone, asOf, HISTORY_DAYS);
    const start = historyStart < periodStart ? historyStart : periodStart;
    return { start, days: await localDays(manager, zone, start, periodEnd) };
  }

  private answer(
    input: Omit<
      ForecastValue,
      | 'asOf'
      | 'actualToDate'
      | 'projected'
      | 'low'
      | 'high'
      | 'dailyRate'
      | 'historyDays'
      | 'method'
    > & {
      now: Date;
      days: ReturnType<typeof spendDays>;
    },
  ): ForecastValue {
    const { now, days, ...rest } = input;
    const result = forecastSpend({
      days,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
      now,
    });
    return {
      ...rest,
      asOf: now,
      actualToDate: plain(result.actualToDate),
      projected: plain(result.projected),
      low: plain(result.low),
      high: plain(result.high),
      dailyRate: plain(result.dailyRate),
      historyDays: result.historyDays,
      method: result.method,
    };
  }
}
