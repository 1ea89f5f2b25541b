import { formatDecimal, Money } from '@purser/pricing';
import type { CostCenterSpend, FeatureSpend, MonthlyReportData } from './monthly-report-types';

/** Rows the HTML and PDF list per "top" table; the rest are summed on one "other" row. */
export const TOP_ROWS = 10;

/**
 * An exact amount for reading: thousands separated, at least two decimals, never rounded
 * (`1234.5` → `1,234.50`, `0.000123` → `0.000123`).
 */
export function displayMoney(value: string): string {
  const plain = formatDecimal(value);
  const negative = plain.startsWith('-');
  const [whole, fraction = ''] = (negative ? plain.slice(1) : plain).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}.${fraction.padEnd(2, '0')}`;
}

/** A whole count for reading, thousands separated. */
export function displayCount(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A share of a total as a percent with one decimal (`12.3 %`); `–` for a zero total. */
export function displayShare(part: string, total: string): string {
  const whole = new Money(total);
  if (whole.isZero()) return '–';
  return `${new Money(part).dividedBy(whole).times(100).toDecimalPlaces(1).toFixed(1)} %`;
}

/** Budget alert thresholds (fractions of the limit) as percents: `0.8` → `80 %`. */
export function displayThreshold(threshold: string): string {
  return `${formatDecimal(new Money(threshold).times(100))} %`;
}

/**
 * The first `limit` rows, and the rest summed into one row made by `other` (absent when
 * nothing is left): the table stays short and its amounts still add up to the total.
 */
export function topRows<T>(
  rows: readonly T[],
  limit: number,
  amount: (row: T) => string,
  other: (count: number, sum: string) => T,
): T[] {
  if (rows.length <= limit) return [...rows];
  const rest = rows.slice(limit);
  const sum = rest.reduce((total, row) => total.plus(amount(row)), new Money(0));
  return [...rows.slice(0, limit), other(rest.length, formatDecimal(sum))];
}

/** `2026-11` → `November 2026`. */
export function monthTitle(month: string): string {
  const [year, number] = month.split('-').map(Number);
  const name = new Date(Date.UTC(year, number - 1, 1)).toLocaleString('en-US', {
    month: 'long',
    timeZone: 'UTC',
  });
  return `${name} ${year}`;
}

/** The month's spend against the one before it, as a signed percent; null without one. */
export function monthOverMonth(data: MonthlyReportData): string | null {
  const previous = data.previousMonths.at(-1);
  if (!previous || new Money(previous.total).isZero()) return null;
  const change = new Money(data.total)
    .minus(previous.total)
    .dividedBy(previous.total)
    .times(100)
    .toDecimalPlaces(1);
  return `${change.isPositive() && !change.isZero() ? '+' : ''}${change.toFixed(1)} %`;
}

/** The label of usage that named no feature. */
export const NO_FEATURE = '(no feature)';

/** The report's top cost centers by total, the rest summed in one "N other" row. */
export function topCostCenters(data: MonthlyReportData): CostCenterSpend[] {
  return topRows<CostCenterSpend>(
    data.costCenters,
    TOP_ROWS,
    (row) => row.total,
    (count, sum) => ({
      code: '',
      name: `${count} other cost centers`,
      direct: '',
      shared: '',
      trueUp: '',
      total: sum,
    }),
  );
}

/** The report's top features by spend, the rest summed in one "N other" row (requests -1). */
export function topFeatures(data: MonthlyReportData): FeatureSpend[] {
  return topRows<FeatureSpend>(
    data.features,
    TOP_ROWS,
    (row) => row.cost,
    (count, sum) => ({ feature: `${count} other features`, cost: sum, requests: -1 }),
  );
}
