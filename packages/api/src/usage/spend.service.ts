import { Money } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { badInput } from '../errors';
import { columnOf, DIMENSION_COLUMNS, REPORT_DIMENSIONS, TOKEN_COLUMNS } from './usage-rows';

/** Dimensions a report can group by: the attribution columns plus UTC day and hour. */
export const SPEND_DIMENSIONS = [...REPORT_DIMENSIONS, 'day', 'hour'] as const;
export type SpendDimensionName = (typeof SPEND_DIMENSIONS)[number];

export type SpendFilterValues = Partial<
  Record<Exclude<SpendDimensionName, 'day' | 'hour'>, string>
>;

export interface SpendRowValue {
  dimensions: Record<string, string | null>;
  cost: string;
  requests: number;
  /** Requests in `requests` that no price covered: their cost is not a real 0. */
  unpricedRequests: number;
  tokens: Record<string, number>;
}

export interface SpendReportValue {
  rows: SpendRowValue[];
  total: string;
  currency: string;
  requests: number;
  unpricedRequests: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Longest range a spend report covers (the chargeback's limit: three years and some). */
export const MAX_SPEND_RANGE_DAYS = 1_100;
/** Longest range a report grouped by hour covers: one row an hour, so about a quarter. */
export const MAX_HOURLY_RANGE_DAYS = 92;

/**
 * The range rule of every report built on spend: `to` after `from`, at most
 * {@link MAX_SPEND_RANGE_DAYS} days, at most {@link MAX_HOURLY_RANGE_DAYS} grouped by hour, so
 * no report's rows (or its work) grow without bound with the range asked.
 */
export function checkSpendRange(from: Date, to: Date, groupBy: readonly string[]): void {
  if (!(to.getTime() > from.getTime())) throw badInput('to must be later than from');
  const span = to.getTime() - from.getTime();
  const days = Math.ceil(span / DAY_MS);
  if (span > MAX_SPEND_RANGE_DAYS * DAY_MS) {
    throw badInput(
      `to: a report covers at most ${MAX_SPEND_RANGE_DAYS} days (asked ${days}); ask for shorter ranges`,
    );
  }
  if (groupBy.includes('hour') && span > MAX_HOURLY_RANGE_DAYS * DAY_MS) {
    throw badInput(
      `to: grouped by HOUR, a report covers at most ${MAX_HOURLY_RANGE_DAYS} days (asked ${days}); group by DAY or ask for shorter ranges`,
    );
  }
}

/** Dimensions that are stored columns (everything but the time buckets), usable as filters. */
export const ATTRIBUTION_DIMENSIONS = SPEND_DIMENSIONS.filter(
  (dimension): dimension is Exclude<SpendDimensionName, 'day' | 'hour'> =>
    dimension !== 'day' && dimension !== 'hour',
);

const FILTER_DIMENSIONS: ReadonlySet<string> = new Set(ATTRIBUTION_DIMENSIONS);

export { columnOf };

/**
 * Spend reports. Whole UTC days come from the `usage_daily` rollup, the whole hours left at
 * either end from `usage_hourly` (both kept exact in the ingest transaction; grouping by hour
 * reads every whole hour hourly), the partial hours at either end of the range from
 * `usage_events`; all are the same rows summed the same way, so a period's figure is identical
 * whatever the grouping.
 */
export class SpendService {
  constructor(private readonly dataSource: DataSource) {}

  async report(options: {
    from: Date;
    to: Date;
    groupBy: SpendDimensionName[];
    filter: SpendFilterValues;
    currency: string;
  }): Promise<SpendReportValue> {
    const { from, to } = options;
    const groupBy = [...new Set(options.groupBy)];
    checkSpendRange(from, to, groupBy);
    const params: unknown[] = [options.currency];
    const where: string[] = ['currency = $1'];
    for (const [dimension, value] of Object.entries(options.filter)) {
      if (value === undefined || value === null) continue;
      // The key becomes a column name in the SQL: only known attribution dimensions pass.
      if (!FILTER_DIMENSIONS.has(dimension)) throw badInput(`filter.${dimension}: unknown filter`);
      params.push(value);
      where.push(
        `${columnOf(dimension as Exclude<SpendDimensionName, 'day' | 'hour'>)} = $${params.length}`,
      );
    }
    const firstWholeHour = new Date(Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS);
    const endWholeHour = new Date(Math.floor(to.getTime() / HOUR_MS) * HOUR_MS);
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const sums = `count(*) AS requests, count(*) FILTER (WHERE unpriced) AS unpriced_requests, sum(cost) AS cost, ${TOKEN_COLUMNS.map((column) => `sum(${column}) AS ${column}`).join(', ')}`;
    const rollupSums = `sum(requests) AS requests, sum(unpriced_requests) AS unpriced_requests, sum(cost) AS cost, ${TOKEN_COLUMNS.map((column) => `sum(${column}) AS ${column}`).join(', ')}`;
    const dimensionSelect = (timeColumn: string) =>
      groupBy.map((dimension) => {
        if (dimension === 'day')
          return `to_char(${timeColumn} AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day`;
        if (dimension === 'hour')
          return `to_char(date_trunc('hour', ${timeColumn} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00:00Z"') AS hour`;
        return `${columnOf(dimension)} AS "${dimension}"`;
      });
    const groupClause =
      groupBy.length > 0 ? `GROUP BY ${groupBy.map((_, index) => index + 1).join(', ')}` : '';
    const parts: string[] = [];
    const rawPart = (start: Date, end: Date) =>
      `SELECT ${[...dimensionSelect('occurred_at'), sums].join(', ')} FROM usage_events
       WHERE ${[...where, `occurred_at >= ${param(start.toISOString())}`, `occurred_at < ${param(end.toISOString())}`].join(' AND ')} ${groupClause}`;
    const rollupPart = (table: string, timeColumn: string, start: Date, end: Date) =>
      `SELECT ${[...dimensionSelect(timeColumn), rollupSums].join(', ')} FROM ${table}
         WHERE ${[...where, `${timeColumn} >= ${param(start.toISOString())}`, `${timeColumn} < ${param(end.toISOString())}`].join(' AND ')} ${groupClause}`;
    /** Whole hours from the hourly rollup, whole UTC days among them from the daily one. */
    const wholeHours = (start: Date, end: Date) => {
      const firstWholeDay = new Date(Math.ceil(start.getTime() / DAY_MS) * DAY_MS);
      const endWholeDay = new Date(Math.floor(end.getTime() / DAY_MS) * DAY_MS);
      // Grouping by hour needs the hours: only then is every whole hour read hourly.
      if (groupBy.includes('hour') || !(firstWholeDay < endWholeDay)) {
        parts.push(rollupPart('usage_hourly', 'hour', start, end));
        return;
      }
      parts.push(rollupPart('usage_daily', 'day', firstWholeDay, endWholeDay));
      if (start < firstWholeDay)
        parts.push(rollupPart('usage_hourly', 'hour', start, firstWholeDay));
      if (endWholeDay < end) parts.push(rollupPart('usage_hourly', 'hour', endWholeDay, end));
    };
    if (firstWholeHour < endWholeHour) {
      wholeHours(firstWholeHour, endWholeHour);
      if (from < firstWholeHour) parts.push(rawPart(from, firstWholeHour));
      if (endWholeHour < to) parts.push(rawPart(endWholeHour, to));
    } else {
      parts.push(rawPart(from, to));
    }
    const outerDimensions = groupBy.map((dimension) => `"${dimension}"`);
    const sql = `
      SELECT ${[...outerDimensions, 'sum(requests)::text AS requests', 'sum(unpriced_requests)::text AS unpriced_requests', 'sum(cost)::text AS cost', ...TOKEN_COLUMNS.map((column) => `sum(${column})::text AS ${column}`)].join(', ')}
      FROM (${parts.join(' UNION ALL ')}) AS parts
      ${groupBy.length > 0 ? `GROUP BY ${outerDimensions.join(', ')} ORDER BY ${outerDimensions.join(', ')}` : ''}`;
    const rows: Record<string, string | null>[] = await this.dataSource.query(sql, params);
    const reportRows = rows
      .filter((row) => row.requests !== null && Number(row.requests) > 0)
      .map((row) => ({
        dimensions: Object.fromEntries(
          groupBy.map((dimension) => [dimension, row[dimension] ?? null]),
        ),
        cost: new Money(row.cost ?? 0).toFixed(),
        requests: Number(row.requests),
        unpricedRequests: Number(row.unpriced_requests ?? 0),
        tokens: Object.fromEntries(
          TOKEN_COLUMNS.map((column) => [column, Number(row[column] ?? 0)]),
        ),
      }));
    const total = reportRows.reduce((sum, row) => sum.plus(row.cost), new Money(0));
    return {
      rows: reportRows,
      total: total.toFixed(),
      currency: options.currency,
      requests: reportRows.reduce((sum, row) => sum + row.requests, 0),
      unpricedRequests: reportRows.reduce((sum, row) => sum + row.unpricedRequests, 0),
    };
  }
}

export { DIMENSION_COLUMNS };
