import { Money } from '@purser/pricing';
import type { EntityManager } from 'typeorm';
import type { UsageAggregate } from './allocation-engine';
import { MATCH_KEYS, type MatchKey } from './allocation-types';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const columnOf = (key: MatchKey) => (key === 'user' ? 'user_id' : key);
const DIM_COLUMNS = MATCH_KEYS.map(columnOf);

export interface UsageReadOptions {
  from: Date;
  to: Date;
  currency: string;
  /** Segment starts, ascending, the first one `from`: segment i = [bounds[i], bounds[i+1]). */
  bounds: Date[];
  /** Tag keys some rule matches: usage carrying them is read per tag value. */
  tagKeys: string[];
}

/**
 * Usage of `[from, to)` summed per rule segment and combination of provider, model and
 * attribution — the same rows `spend` sums: whole UTC days inside a segment from the
 * `usage_daily` rollup, the other whole hours from `usage_hourly`, only the partial hours at
 * the ends from `usage_events`, so the total ties out to `spend` exactly.
 * `usage_hourly` and `usage_daily` have no tags: usage carrying a matched tag key is read per
 * combination and tag values (`usage_daily_tagged` for whole days, the events for the rest)
 * and taken out of its combination's sum, leaving its untagged rest (exact `numeric`
 * arithmetic, then decimal.js).
 */
export async function readUsage(
  manager: EntityManager,
  options: UsageReadOptions,
): Promise<UsageAggregate[]> {
  const { from, to, currency } = options;
  const firstWholeHour = new Date(Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS);
  const endWholeHour = new Date(Math.floor(to.getTime() / HOUR_MS) * HOUR_MS);
  const params: unknown[] = [currency, options.bounds.map((bound) => bound.toISOString())];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const dims = DIM_COLUMNS.join(', ');
  const groupAll = DIM_COLUMNS.map((_, index) => index + 2).join(', ');
  const part = (
    table: 'usage_daily' | 'usage_hourly' | 'usage_events',
    column: string,
    start: Date,
    end: Date,
  ) =>
    `SELECT width_bucket(${column}, $2::timestamptz[]) - 1 AS seg, ${dims}, sum(cost) AS cost
     FROM ${table} WHERE currency = $1 AND ${column} >= ${param(start.toISOString())}
       AND ${column} < ${param(end.toISOString())}
     GROUP BY 1, ${groupAll}`;
  const parts: string[] = [];
  if (firstWholeHour < endWholeHour) {
    for (const [table, column, start, end] of wholeHourParts(
      options.bounds,
      firstWholeHour,
      endWholeHour,
    ))
      parts.push(part(table, column, start, end));
    if (from < firstWholeHour)
      parts.push(part('usage_events', 'occurred_at', from, firstWholeHour));
    if (endWholeHour < to) parts.push(part('usage_events', 'occurred_at', endWholeHour, to));
  } else {
    parts.push(part('usage_events', 'occurred_at', from, to));
  }
  const tagNulls = options.tagKeys.map((_, index) => `NULL::text AS t${index}`);
  const combinations = `SELECT false AS tagged, seg, ${[dims, ...tagNulls].join(', ')},
       sum(cost)::text AS cost
     FROM (${parts.join(' UNION ALL ')}) AS parts
     GROUP BY 2, ${DIM_COLUMNS.map((_, index) => index + 3).join(', ')} HAVING sum(cost) <> 0`;
  // One statement, so one snapshot: an event committed between two reads would be in its tag
  // values' sum but not in its combination's, and be charged twice.
  const rows: Record<string, string | number | boolean | null>[] = await manager.query(
    options.tagKeys.length === 0
      ? combinations
      : `${combinations} UNION ALL ${taggedSql(options, param)}`,
    params,
  );
  const noTags = Object.fromEntries(options.tagKeys.map((key) => [key, null]));
  const byKey = new Map<string, UsageAggregate>();
  const result: UsageAggregate[] = [];
  const tagged: UsageAggregate[] = [];
  for (const row of rows) {
    const aggregate: UsageAggregate = {
      segment: Number(row.seg),
      dims: dimsOf(row),
      tags: row.tagged
        ? Object.fromEntries(
            options.tagKeys.map((key, index) => [key, (row[`t${index}`] as string | null) ?? null]),
          )
        : noTags,
      amount: new Money(row.cost as string),
    };
    if (row.tagged) {
      tagged.push(aggregate);
      continue;
    }
    byKey.set(keyOf(aggregate), aggregate);
    result.push(aggregate);
  }
  for (const row of tagged) {
    const untagged = byKey.get(keyOf(row));
    // Every tagged event is in its combination's sum; a missing one means the rollup and
    // the events disagree, which the sums below would hide: keep the row and the total
    // follows the events.
    if (untagged) untagged.amount = untagged.amount.minus(row.amount);
    result.push(row);
  }
  return result.filter((row) => !row.amount.isZero());
}

/**
 * How `[start, end)` (whole hours) is read: each whole UTC day inside one rule segment from
 * `usage_daily` (all its hours fall in that segment, so the day row is the sum of the hourly
 * rows it replaces, in the same segment), the hours left from `usage_hourly`.
 */
export function wholeHourParts(
  bounds: Date[],
  start: Date,
  end: Date,
): ['usage_daily' | 'usage_hourly', 'day' | 'hour', Date, Date][] {
  const days: [number, number][] = [];
  const edges = [...bounds.map((bound) => bound.getTime()), Number.POSITIVE_INFINITY];
  for (let index = 0; index + 1 < edges.length; index += 1) {
    const low = Math.max(edges[index]!, start.getTime());
    const high = Math.min(edges[index + 1]!, end.getTime());
    const firstDay = Math.ceil(low / DAY_MS) * DAY_MS;
    const endDay = Math.floor(high / DAY_MS) * DAY_MS;
    if (!(firstDay < endDay)) continue;
    const last = days[days.length - 1];
    if (last && last[1] === firstDay) last[1] = endDay;
    else days.push([firstDay, endDay]);
  }
  const parts: ['usage_daily' | 'usage_hourly', 'day' | 'hour', Date, Date][] = [];
  let hour = start.getTime();
  for (const [firstDay, endDay] of days) {
    if (hour < firstDay) parts.push(['usage_hourly', 'hour', new Date(hour), new Date(firstDay)]);
    parts.push(['usage_daily', 'day', new Date(firstDay), new Date(endDay)]);
    hour = endDay;
  }
  if (hour < end.getTime()) parts.push(['usage_hourly', 'hour', new Date(hour), end]);
  return parts;
}

/**
 * The statement part for usage carrying a matched tag key, summed per segment, combination and
 * the matched keys' values (`tagged` true): whole UTC days inside a segment from
 * `usage_daily_tagged` (the same day parts as {@link readUsage}), every other stretch from the
 * events themselves (GIN index on tags). `$1` is the currency, `$2` the segment bounds.
 */
function taggedSql(options: UsageReadOptions, param: (value: unknown) => string): string {
  const keys = param(options.tagKeys);
  const tagColumns = options.tagKeys.map(
    (key, index) => `tags ->> ${param(key)}::text AS t${index}`,
  );
  const dims = DIM_COLUMNS.join(', ');
  const width = DIM_COLUMNS.length + tagColumns.length;
  const part = (
    table: 'usage_daily_tagged' | 'usage_events',
    column: string,
    start: Date,
    end: Date,
  ) =>
    `SELECT width_bucket(${column}, $2::timestamptz[]) - 1 AS seg, ${dims}, ${tagColumns.join(', ')},
       sum(cost) AS cost
     FROM ${table}
     WHERE currency = $1 AND ${column} >= ${param(start.toISOString())}
       AND ${column} < ${param(end.toISOString())}
       AND tags <> '{}'::jsonb AND tags ?| ${keys}::text[]
     GROUP BY ${Array.from({ length: width + 1 }, (_, index) => index + 1).join(', ')}`;
  const parts: string[] = [];
  let at = options.from;
  for (const [table, , start, end] of wholeHourParts(options.bounds, options.from, options.to)) {
    if (table !== 'usage_daily') continue;
    if (at < start) parts.push(part('usage_events', 'occurred_at', at, start));
    parts.push(part('usage_daily_tagged', 'day', start, end));
    at = end;
  }
  if (at < options.to) parts.push(part('usage_events', 'occurred_at', at, options.to));
  const tagNames = options.tagKeys.map((_, index) => `t${index}`);
  return `SELECT true, seg, ${[dims, ...tagNames].join(', ')}, sum(cost)::text
     FROM (${parts.join(' UNION ALL ')}) AS parts
     GROUP BY ${Array.from({ length: width + 1 }, (_, index) => index + 2).join(', ')}`;
}

function dimsOf(
  row: Record<string, string | number | boolean | null>,
): Record<MatchKey, string | null> {
  return Object.fromEntries(
    MATCH_KEYS.map((key) => [key, (row[columnOf(key)] as string | null) ?? null]),
  ) as Record<MatchKey, string | null>;
}

function keyOf(row: UsageAggregate): string {
  return JSON.stringify([row.segment, ...MATCH_KEYS.map((key) => row.dims[key])]);
}
