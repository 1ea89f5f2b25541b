import { formatDecimal, Money } from '@purser/pricing';
import { badInput } from '../errors';
import type { MetricSumRow } from './business-metrics.service';

/**
 * Decimal places of `costPerUnit` (cost ÷ metric value), rounded half to even: the scale of
 * prices and amounts at Purser's boundaries (`AMOUNT_BOUNDS`), so a cost per token is as
 * exact as a price per token.
 */
export const COST_PER_UNIT_SCALE = 20;

/** Decimal places of `marginPercent` (a percentage, 12.3456), rounded half to even. */
export const MARGIN_PERCENT_SCALE = 4;

/** A group's AI cost, as the spend report answers it. */
export interface CostRow {
  dimensions: Record<string, string | null>;
  cost: string;
}

/** One group of a unit-economics report. */
export interface UnitEconomicsRowValue {
  dimensions: Record<string, string | null>;
  /** AI cost of the group over the range (the spend report's figure), exact. */
  cost: string;
  /** The metric summed over the group and range (0 when the group has none). */
  metricValue: string;
  /** cost ÷ metricValue at {@link COST_PER_UNIT_SCALE}; null when metricValue is zero. */
  costPerUnit: string | null;
}

/** One group of a gross-margin report. */
export interface GrossMarginRowValue {
  dimensions: Record<string, string | null>;
  revenue: string;
  cost: string;
  /** revenue − cost, exact. */
  margin: string;
  /** margin ÷ revenue × 100 at {@link MARGIN_PERCENT_SCALE}; null when revenue is zero. */
  marginPercent: string | null;
}

/** The key of a group: its dimension values in `groupBy` order. */
function keyOf(groupBy: readonly string[], dimensions: Record<string, string | null>): string {
  return JSON.stringify(groupBy.map((dimension) => dimensions[dimension] ?? null));
}

/** Orders groups by their values, dimension after dimension; an absent value (null) last. */
function compareGroups(groupBy: readonly string[]) {
  return (
    left: { dimensions: Record<string, string | null> },
    right: { dimensions: Record<string, string | null> },
  ): number => {
    for (const dimension of groupBy) {
      const a = left.dimensions[dimension] ?? null;
      const b = right.dimensions[dimension] ?? null;
      if (a === b) continue;
      if (a === null) return 1;
      if (b === null) return -1;
      return a < b ? -1 : 1;
    }
    return 0;
  };
}

/** `numerator ÷ denominator` at `scale` decimals (half to even); null when dividing by zero. */
export function ratio(numerator: string, denominator: string, scale: number): string | null {
  const divisor = new Money(denominator);
  if (divisor.isZero()) return null;
  return formatDecimal(
    new Money(numerator).dividedBy(divisor).toDecimalPlaces(scale, Money.ROUND_HALF_EVEN),
  );
}

/**
 * The one currency of a metric's values in the range, or null when none carries one.
 * Values in two currencies, or with and without one, cannot be summed: a clear error.
 */
export function metricCurrency(metric: string, rows: readonly MetricSumRow[]): string | null {
  const currencies = new Set(rows.map((row) => row.currency));
  if (currencies.size <= 1) return rows[0]?.currency ?? null;
  const named = [...currencies].map((currency) => currency ?? '(no currency)').sort();
  throw badInput(
    `metric "${metric}" has values in ${named.join(', ')} in this range: they cannot be summed (no FX conversion)`,
  );
}

/**
 * Joins AI cost and a metric per group: every group present on either side appears (cost
 * without the metric has metricValue 0 and costPerUnit null; the metric without cost has
 * cost 0). Rows are ordered by their dimension values.
 */
export function joinUnitEconomics(
  groupBy: readonly string[],
  costs: readonly CostRow[],
  metrics: readonly MetricSumRow[],
): UnitEconomicsRowValue[] {
  const groups = new Map<
    string,
    { dimensions: Record<string, string | null>; cost: string; metricValue: string }
  >();
  for (const row of costs) {
    groups.set(keyOf(groupBy, row.dimensions), {
      dimensions: row.dimensions,
      cost: row.cost,
      metricValue: '0',
    });
  }
  for (const row of metrics) {
    const key = keyOf(groupBy, row.dimensions);
    const group = groups.get(key);
    if (group) group.metricValue = formatDecimal(new Money(group.metricValue).plus(row.value));
    else groups.set(key, { dimensions: row.dimensions, cost: '0', metricValue: row.value });
  }
  return [...groups.values()].sort(compareGroups(groupBy)).map((group) => ({
    ...group,
    cost: formatDecimal(group.cost),
    costPerUnit: ratio(group.cost, group.metricValue, COST_PER_UNIT_SCALE),
  }));
}

/** Gross margin per group from revenue (the metric) and AI cost joined as above. */
export function grossMarginRows(rows: readonly UnitEconomicsRowValue[]): GrossMarginRowValue[] {
  return rows.map((row) => marginOf(row.dimensions, row.metricValue, row.cost));
}

/** A margin line: revenue − cost and its percentage of revenue. */
export function marginOf(
  dimensions: Record<string, string | null>,
  revenue: string,
  cost: string,
): GrossMarginRowValue {
  const margin = formatDecimal(new Money(revenue).minus(cost));
  return {
    dimensions,
    revenue: formatDecimal(revenue),
    cost: formatDecimal(cost),
    margin,
    marginPercent: percentOf(margin, revenue),
  };
}

function percentOf(part: string, whole: string): string | null {
  const value = ratio(formatDecimal(new Money(part).times(100)), whole, MARGIN_PERCENT_SCALE);
  return value;
}
