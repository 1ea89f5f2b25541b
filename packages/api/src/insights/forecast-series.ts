import { Money, type MoneyValue } from '@purser/pricing';
import type { EntityManager } from 'typeorm';
import type { AllocationService } from '../allocation/allocation.service';
import type { EngineRule } from '../allocation/allocation-engine';
import { segmentsOf, timedRuleOf, type TimedRule } from '../allocation/allocation-segments';
import { SCOPE_KEYS, type Scope } from '../attribution/scope';
import type { SpendDay } from './forecast-method';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const floorTo = (time: number, unit: number) => Math.floor(time / unit) * unit;
const ceilTo = (time: number, unit: number) => Math.ceil(time / unit) * unit;
const isUtc = (zone: string) => ['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT'].includes(zone);

/** A local calendar day of a time zone: its instants, ISO weekday and `YYYY-MM-DD`. */
export interface LocalDay {
  start: Date;
  end: Date;
  weekday: number;
  key: string;
}

/** The local midnight `days` days before the one starting the day of `at`, in `zone`. */
export async function localMidnight(
  manager: EntityManager,
  zone: string,
  at: Date,
  daysBefore = 0,
): Promise<Date> {
  const [row] = await manager.query(
    `SELECT (date_trunc('day', $1::timestamptz AT TIME ZONE $2) - make_interval(days => $3)) AT TIME ZONE $2 AS start`,
    [at.toISOString(), zone, daysBefore],
  );
  return new Date(row.start);
}

/** The local days of `zone` from the one holding `from` to the one holding the instant before `to` (DST-correct). */
export async function localDays(
  manager: EntityManager,
  zone: string,
  from: Date,
  to: Date,
): Promise<LocalDay[]> {
  const rows: { start: Date | string; end: Date | string; weekday: number; key: string }[] =
    await manager.query(
      `SELECT d AT TIME ZONE $1 AS start, (d + interval '1 day') AT TIME ZONE $1 AS "end",
              extract(isodow FROM d)::int AS weekday, to_char(d, 'YYYY-MM-DD') AS key
       FROM generate_series(date_trunc('day', $2::timestamptz AT TIME ZONE $1),
                            date_trunc('day', ($3::timestamptz - interval '1 microsecond') AT TIME ZONE $1),
                            interval '1 day') AS d`,
      [zone, from.toISOString(), to.toISOString()],
    );
  return rows.map((row) => ({
    start: new Date(row.start),
    end: new Date(row.end),
    weekday: Number(row.weekday),
    key: row.key,
  }));
}

/** Days with their spend (0 where the map has none). */
export function spendDays(
  days: readonly LocalDay[],
  spend: ReadonlyMap<string, MoneyValue>,
): SpendDay[] {
  return days.map(({ start, end, weekday, key }) => ({
    start,
    end,
    weekday,
    amount: spend.get(key) ?? new Money(0),
  }));
}

/**
 * Usage spend in one currency of `[from, to)` matching `scope` (every key equal), per local
 * day of `zone` (`YYYY-MM-DD`): the rollups for whole periods (`usage_daily` for whole UTC days
 * when the zone is UTC, `usage_hourly` by the local day an hour starts in otherwise — a zone
 * with a half-hour offset puts the hour holding its midnight in the day it starts in), the
 * events for the partial hours at either end; a scope naming a virtual key reads events only
 * (the rollups do not keep the key).
 */
export async function usageByDay(
  manager: EntityManager,
  options: { from: Date; to: Date; zone: string; currency: string; scope: Scope },
): Promise<Map<string, MoneyValue>> {
  const { from, to, zone, currency, scope } = options;
  const params: unknown[] = [zone, currency];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const filters = Object.entries(scope)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      // The key becomes a column name: only scope keys pass (a stored scope has no other).
      if (!(SCOPE_KEYS as readonly string[]).includes(key)) throw new Error(`scope key ${key}`);
      return `${key === 'user' ? 'user_id' : key} = ${param(value)}`;
    });
  const where = ['currency = $2', ...filters].join(' AND ');
  const parts: string[] = [];
  const part = (table: string, column: string, start: number, end: number) => {
    if (start >= end) return;
    parts.push(
      `SELECT ${column} AS at, cost FROM ${table} WHERE ${where}
         AND ${column} >= ${param(new Date(start).toISOString())} AND ${column} < ${param(new Date(end).toISOString())}`,
    );
  };
  const start = from.getTime();
  const end = to.getTime();
  if ('virtual_key' in scope) {
    part('usage_events', 'occurred_at', start, end);
  } else if (isUtc(zone) && start % DAY_MS === 0) {
    part('usage_daily', 'day', start, floorTo(end, DAY_MS));
    part('usage_hourly', 'hour', Math.max(start, floorTo(end, DAY_MS)), floorTo(end, HOUR_MS));
    part('usage_events', 'occurred_at', Math.max(start, floorTo(end, HOUR_MS)), end);
  } else {
    const firstHour = Math.min(ceilTo(start, HOUR_MS), end);
    const lastHour = Math.max(floorTo(end, HOUR_MS), firstHour);
    part('usage_events', 'occurred_at', start, firstHour);
    part('usage_hourly', 'hour', firstHour, lastHour);
    part('usage_events', 'occurred_at', lastHour, end);
  }
  const result = new Map<string, MoneyValue>();
  if (parts.length === 0) return result;
  const rows: { key: string; cost: string }[] = await manager.query(
    `SELECT to_char(at AT TIME ZONE $1, 'YYYY-MM-DD') AS key, sum(cost)::text AS cost
     FROM (${parts.join(' UNION ALL ')}) AS spend GROUP BY 1`,
    params,
  );
  for (const row of rows) result.set(row.key, new Money(row.cost));
  return result;
}

/** A version that is never in force: it only cuts the range at a UTC midnight. */
const DAY_CUT: EngineRule = {
  id: null,
  version: null,
  name: 'day',
  priority: 0,
  match: {},
  method: 'DIRECT',
  targets: [],
};

/**
 * A cost center's allocated spend (direct + shared, without the true-up) of `[from, to)` per
 * UTC day (`YYYY-MM-DD`): one run of the chargeback engine over the whole range with the rule
 * versions in force, cut at every UTC midnight, so each segment's lines belong to one day and
 * the days sum to the range's allocation exactly (shares are weighted over the whole range,
 * as a chargeback of that range weighs them).
 */
export async function allocatedByDay(
  allocation: AllocationService,
  options: { from: Date; to: Date; currency: string; costCenter: string },
): Promise<Map<string, MoneyValue>> {
  const { from, to, currency, costCenter } = options;
  const result = new Map<string, MoneyValue>();
  if (!(from < to)) return result;
  return allocation.chargebacks.reading(async (manager) => {
    const versions: TimedRule[] = (await allocation.rules.inRange(from, to, null, manager)).map(
      timedRuleOf,
    );
    for (let time = ceilTo(from.getTime(), DAY_MS); time < to.getTime(); time += DAY_MS) {
      versions.push({ rule: DAY_CUT, from: new Date(time), to: null, deleted: true });
    }
    const { bounds } = segmentsOf(versions, from, to);
    const outcome = await allocation.chargebacks.live(manager, {
      from,
      to,
      currency,
      versions,
      linesOf: (code) => code === costCenter,
    });
    for (const line of outcome.lines) {
      if (line.costCenter !== costCenter) continue;
      const key = new Date(floorTo(bounds[line.usage.segment]!.getTime(), DAY_MS))
        .toISOString()
        .slice(0, 10);
      result.set(key, (result.get(key) ?? new Money(0)).plus(line.amount));
    }
    return result;
  });
}
