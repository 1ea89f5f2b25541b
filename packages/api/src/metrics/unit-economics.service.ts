import { ROLLUP_ATTRIBUTION_KEYS } from '@purser/adapters';
import { formatDecimal, Money } from '@purser/pricing';
import { badInput } from '../errors';
import {
  checkSpendRange,
  type SpendDimensionName,
  type SpendService,
} from '../usage/spend.service';
import { METRIC_LIMITS } from './business-metric-input';
import type { BusinessMetricService } from './business-metrics.service';
import {
  type GrossMarginRowValue,
  grossMarginRows,
  joinUnitEconomics,
  marginOf,
  metricCurrency,
  type UnitEconomicsRowValue,
} from './unit-economics';

/** Dimensions both sides share: the rollup attribution and UTC day and hour (no provider/model). */
export const UNIT_ECONOMICS_DIMENSIONS = [...ROLLUP_ATTRIBUTION_KEYS, 'day', 'hour'] as const;
const ALLOWED: ReadonlySet<string> = new Set(UNIT_ECONOMICS_DIMENSIONS);

export interface UnitEconomicsReportValue {
  rows: UnitEconomicsRowValue[];
  /** The currency of `cost` (no FX: only usage priced in it counts). */
  currency: string;
  /** The metric's currency when it is a money metric, else null. */
  metricCurrency: string | null;
}

export interface GrossMarginReportValue {
  rows: GrossMarginRowValue[];
  revenue: string;
  cost: string;
  margin: string;
  marginPercent: string | null;
  currency: string;
}

export interface UnitEconomicsOptions {
  metric: string;
  from: Date;
  to: Date;
  groupBy: readonly string[];
  /** The currency of the AI cost (spend's `currency`), upper case. */
  currency: string;
}

/**
 * Unit economics: AI cost per unit of a business metric, and customer gross margin. The cost
 * is the spend report's figure for the same groups and range (`SpendService`: the hourly
 * rollup for whole hours, the events for the partial hours at the ends), so a group's cost
 * here equals its `spend` to the last decimal.
 */
export class UnitEconomicsService {
  constructor(
    private readonly spend: Pick<SpendService, 'report'>,
    private readonly metrics: Pick<BusinessMetricService, 'sums'>,
  ) {}

  async unitEconomics(options: UnitEconomicsOptions): Promise<UnitEconomicsReportValue> {
    const groupBy = checkOptions(options);
    const [costs, sums] = await Promise.all([
      this.spend.report({
        from: options.from,
        to: options.to,
        groupBy: groupBy as SpendDimensionName[],
        filter: {},
        currency: options.currency,
      }),
      this.metrics.sums({ metric: options.metric, from: options.from, to: options.to, groupBy }),
    ]);
    return {
      rows: joinUnitEconomics(groupBy, costs.rows, sums),
      currency: costs.currency,
      metricCurrency: metricCurrency(options.metric, sums),
    };
  }

  /**
   * Revenue (a money metric) − AI cost per group. The revenue must be in the cost's
   * currency: no FX conversion, so a mismatch (or revenue recorded without a currency) is a
   * clear error rather than a margin of unlike amounts.
   */
  async grossMargin(
    options: Omit<UnitEconomicsOptions, 'metric'> & { revenueMetric: string },
  ): Promise<GrossMarginReportValue> {
    const report = await this.unitEconomics({ ...options, metric: options.revenueMetric });
    const revenueRows = report.rows.filter((row) => row.metricValue !== '0');
    if (revenueRows.length > 0 && report.metricCurrency === null) {
      throw badInput(
        `revenueMetric: "${options.revenueMetric}" was recorded without a currency; record revenue with its currency (e.g. "USD")`,
      );
    }
    if (report.metricCurrency !== null && report.metricCurrency !== report.currency) {
      throw badInput(
        `currency: "${options.revenueMetric}" is in ${report.metricCurrency} and the AI cost is asked in ${report.currency}; ask with currency: "${report.metricCurrency}" (no FX conversion)`,
      );
    }
    const rows = grossMarginRows(report.rows);
    const revenue = rows.reduce((sum, row) => sum.plus(row.revenue), new Money(0));
    const cost = rows.reduce((sum, row) => sum.plus(row.cost), new Money(0));
    const total = marginOf({}, formatDecimal(revenue), formatDecimal(cost));
    return {
      rows,
      revenue: total.revenue,
      cost: total.cost,
      margin: total.margin,
      marginPercent: total.marginPercent,
      currency: report.currency,
    };
  }
}

/** Checks a report's arguments; answers groupBy without repeats, in the order given. */
function checkOptions(options: UnitEconomicsOptions): string[] {
  if (!/^[A-Z]{3}$/.test(options.currency)) {
    throw badInput(
      `currency: must be a three-letter ISO 4217 code such as "USD" (got ${JSON.stringify(options.currency.slice(0, 16))})`,
    );
  }
  if (
    options.metric.length === 0 ||
    options.metric.length > METRIC_LIMITS.maxNameLength ||
    options.metric.includes('\u0000')
  ) {
    throw badInput(
      `metric must be a metric name of 1 to ${METRIC_LIMITS.maxNameLength} characters`,
    );
  }
  const groupBy = [...new Set(options.groupBy)];
  for (const dimension of groupBy) {
    if (!ALLOWED.has(dimension)) {
      throw badInput(
        `groupBy: ${dimension.toUpperCase()} is not a dimension of business metrics (${UNIT_ECONOMICS_DIMENSIONS.map((name) => name.toUpperCase()).join(', ')})`,
      );
    }
  }
  // The cost side's range rule, checked before either side reads anything.
  checkSpendRange(options.from, options.to, groupBy);
  return groupBy;
}
