import { ROLLUP_ATTRIBUTION_KEYS, type UsageEvent } from '@purser/adapters';
import { TOKEN_KEYS, type CostEstimate } from '@purser/pricing';

/** Token columns shared by `usage_events` and `usage_hourly`, in vocabulary order. */
export const TOKEN_COLUMNS = TOKEN_KEYS;

/**
 * The stored dimensions a spend report can group and filter by (provider, model and the
 * rollup attribution), as the API names them.
 */
export const REPORT_DIMENSIONS = ['provider', 'model', ...ROLLUP_ATTRIBUTION_KEYS] as const;

/** One of {@link REPORT_DIMENSIONS}. */
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

/** The column a report dimension is stored in (`user` is stored as `user_id`). */
export function columnOf(dimension: ReportDimension): string {
  return dimension === 'user' ? 'user_id' : dimension;
}

/** The columns of {@link REPORT_DIMENSIONS}, in the same order. */
export const DIMENSION_COLUMNS = REPORT_DIMENSIONS.map(columnOf);

/** A priced event, ready to be written. */
export interface PricedEvent {
  event: UsageEvent;
  cost: CostEstimate;
  /** `cache_hit` events cost nothing: no provider was called. */
  costTotal: string;
  /**
   * The API key that sent the event (HTTP, GraphQL): it settles only holds that key placed.
   * Absent for trusted channels (NATS, replays) and admins, whose usage settles any hold.
   */
  senderKeyId?: string;
}

/** The key of a `usage_hourly` row: the hour, every dimension, the currency. */
export const HOURLY_KEY: readonly string[] = ['hour', ...DIMENSION_COLUMNS, 'currency'];

/** The sums of a `usage_hourly` row. */
export const HOURLY_SUMS: readonly string[] = [
  'requests',
  'unpriced_requests',
  'cost',
  ...TOKEN_COLUMNS,
];

/** The key of a `usage_daily` row: the UTC day (a timestamptz at 00:00 UTC), every dimension, the currency. */
export const DAILY_KEY: readonly string[] = ['day', ...DIMENSION_COLUMNS, 'currency'];

/** A rollup table and the period its rows sum. */
const ROLLUPS = {
  hour: { table: 'usage_hourly', key: HOURLY_KEY },
  day: { table: 'usage_daily', key: DAILY_KEY },
} as const;

/**
 * The one statement that adds stored events to a rollup (`usage_hourly` by hour, `usage_daily`
 * by UTC day): ingest adds the rows it inserted, a reprice takes each re-rated row out as it
 * was and adds it as it is now. It reads `relation` (a CTE with `occurred_at`, the dimensions,
 * `currency`, `unpriced`, `cost` and the token columns) and files each row under the hour (or
 * day) of the instant Postgres stored, summing costs exactly in `numeric`. With `weight` (a
 * column of +1 or −1 per row) each row counts that many times, and groups whose sums all
 * cancel are not written. Rows are written in key order, and every writer lists its rollup
 * steps in the same order (hourly, daily, tagged): Postgres runs data-modifying CTEs the main
 * query does not read in an order of its own (last listed first, seen on Postgres 15), but the
 * same order for the same list, so concurrent batches and reprices lock rows in one order and
 * cannot deadlock. A new writer must list them the same way.
 */
export function rollupSql(period: 'hour' | 'day', relation: string, weight?: string): string {
  const { table, key: keyColumns } = ROLLUPS[period];
  const key = keyColumns.map((_, index) => index + 1).join(', ');
  const sums = weight
    ? [
        `sum(${weight})`,
        `coalesce(sum(${weight}) FILTER (WHERE unpriced), 0)`,
        `sum(${weight} * cost)`,
        ...TOKEN_COLUMNS.map((column) => `sum(${weight} * ${column})`),
      ]
    : ['count(*)', 'count(*) FILTER (WHERE unpriced)', 'sum(cost)'].concat(
        TOKEN_COLUMNS.map((column) => `sum(${column})`),
      );
  const having = weight ? `\n    HAVING ${sums.map((sum) => `${sum} <> 0`).join(' OR ')}` : '';
  return `
    INSERT INTO ${table} (${[...keyColumns, ...HOURLY_SUMS].join(', ')})
    SELECT date_trunc('${period}', occurred_at, 'UTC'), ${DIMENSION_COLUMNS.join(', ')}, currency,
      ${sums.slice(0, 3).join(', ')},
      ${sums.slice(3).join(', ')}
    FROM ${relation}
    GROUP BY ${key}${having}
    ORDER BY ${key}
    ON CONFLICT (${keyColumns.join(', ')})
    DO UPDATE SET ${HOURLY_SUMS.map((column) => `${column} = ${table}.${column} + EXCLUDED.${column}`).join(', ')}`;
}

/** {@link rollupSql} for `usage_hourly`. */
export function hourlyRollupSql(relation: string, weight?: string): string {
  return rollupSql('hour', relation, weight);
}

/** {@link rollupSql} for `usage_daily` (the same sums as `usage_hourly`, by UTC day). */
export function dailyRollupSql(relation: string, weight?: string): string {
  return rollupSql('day', relation, weight);
}

/** The key of a `usage_daily_tagged` row: {@link DAILY_KEY} and the tag set's SHA-256. */
export const DAILY_TAGGED_KEY: readonly string[] = [...DAILY_KEY, 'tags_key'];

/**
 * The statement that adds stored events carrying tags to `usage_daily_tagged` (by UTC day,
 * combination and whole tag set; events without tags are not in it), as {@link rollupSql}
 * does for the other rollups: `relation` needs `tags` besides their columns; with `weight`
 * each row counts that many times and groups that cancel are not written. Listed after the
 * daily rollup in every writer (see {@link rollupSql} on lock order), rows in key order.
 */
export function dailyTaggedRollupSql(relation: string, weight?: string): string {
  const key = DAILY_TAGGED_KEY.map((_, index) => index + 1).join(', ');
  const requests = weight ? `sum(${weight})` : 'count(*)';
  const cost = weight ? `sum(${weight} * cost)` : 'sum(cost)';
  const having = weight ? `\n    HAVING ${requests} <> 0 OR ${cost} <> 0` : '';
  return `
    INSERT INTO usage_daily_tagged (${DAILY_TAGGED_KEY.join(', ')}, tags, requests, cost)
    SELECT date_trunc('day', occurred_at, 'UTC'), ${DIMENSION_COLUMNS.join(', ')}, currency,
      sha256(convert_to(tags::text, 'UTF8')), tags, ${requests}, ${cost}
    FROM ${relation}
    WHERE tags <> '{}'::jsonb
    GROUP BY ${key}, tags${having}
    ORDER BY ${key}
    ON CONFLICT (${DAILY_TAGGED_KEY.join(', ')})
    DO UPDATE SET requests = usage_daily_tagged.requests + EXCLUDED.requests,
      cost = usage_daily_tagged.cost + EXCLUDED.cost`;
}
