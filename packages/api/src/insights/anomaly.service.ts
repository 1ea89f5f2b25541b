import { createHash } from 'node:crypto';
import type { AnomalyDetected } from '@purser/adapters';
import { Money } from '@purser/pricing';
import type { DataSource, EntityManager } from 'typeorm';
import { tuneForAggregation } from '../allocation/chargeback.service';
import { badInput } from '../errors';
import { BASELINE_WEEKS, MIN_BASELINE_WEEKS, MIN_EXCESS, scoreHour } from './anomaly-score';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/** The longest range `anomalies` scans (each hour reads its 8 baseline hours). */
export const MAX_ANOMALY_RANGE_DAYS = 31;
/** The most anomalies one answer holds: the highest scores, then ordered by hour. */
export const MAX_ANOMALIES = 1_000;

export type AnomalyDimensionName = 'feature' | 'team';

/** An hour of a feature's or team's spend far above the same hour of the week in past weeks. */
export interface AnomalyValue {
  dimension: AnomalyDimensionName;
  /** The feature or team; null for spend that named none. */
  value: string | null;
  /** Start of the UTC hour. */
  hour: Date;
  currency: string;
  expected: string;
  observed: string;
  excess: string;
  score: number;
  /** How many past weeks the baseline had (fewer than 8 while the data is younger). */
  baselineWeeks: number;
}

/**
 * What a listener is told of new anomalies: their `purser.anomalies.v1` payloads, and the
 * transaction that marks them told (write an outbox row in it: both commit or neither).
 */
export type AnomalyListener = (
  anomalies: AnomalyDetected[],
  manager: EntityManager,
) => Promise<void>;

/** `from` before `to`, at most {@link MAX_ANOMALY_RANGE_DAYS} days; errors name the argument. */
export function checkAnomalyRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime())) throw badInput('from: must be a date-time');
  if (Number.isNaN(to.getTime())) throw badInput('to: must be a date-time');
  if (!(to.getTime() > from.getTime())) throw badInput('to: must be later than from');
  const span = to.getTime() - from.getTime();
  if (span > MAX_ANOMALY_RANGE_DAYS * DAY_MS) {
    throw badInput(
      `to: anomalies cover at most ${MAX_ANOMALY_RANGE_DAYS} days (asked ${Math.ceil(span / DAY_MS)}); ask for shorter ranges`,
      { limitDays: MAX_ANOMALY_RANGE_DAYS },
    );
  }
}

/** `[from, to)` and the same range 1…8 weeks back, overlapping ones merged, oldest first. */
export function readRanges(from: Date, to: Date): [Date, Date][] {
  const ranges: [number, number][] = [];
  for (let week = BASELINE_WEEKS; week >= 0; week -= 1) {
    const start = from.getTime() - week * WEEK_MS;
    const end = to.getTime() - week * WEEK_MS;
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }
  return ranges.map(([start, end]) => [new Date(start), new Date(end)]);
}

/** The stable id of an anomaly (the same hour found again, on any replica, is the same id). */
export function anomalyId(
  anomaly: Pick<AnomalyValue, 'dimension' | 'value' | 'hour' | 'currency'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        anomaly.dimension,
        anomaly.value,
        anomaly.hour.toISOString(),
        anomaly.currency,
      ]),
    )
    .digest('hex');
}

/** An anomaly as `purser.anomalies.v1` carries it. */
export function toAnomalyDetected(anomaly: AnomalyValue, detectedAt: Date): AnomalyDetected {
  const hour = anomaly.hour.toISOString();
  return {
    anomaly_id: anomalyId(anomaly),
    dimension: anomaly.dimension,
    value: anomaly.value,
    hour,
    dimensions: { [anomaly.dimension]: anomaly.value, hour },
    expected: anomaly.expected,
    observed: anomaly.observed,
    excess: anomaly.excess,
    score: anomaly.score,
    baseline_weeks: anomaly.baselineWeeks,
    currency: anomaly.currency,
    detected_at: detectedAt.toISOString(),
  };
}

const plain = (value: InstanceType<typeof Money>) => (value.isZero() ? '0' : value.toFixed());

/**
 * Spend anomalies: each UTC hour's spend per feature and per team (`usage_hourly`) against
 * the same hour of the week over the past {@link BASELINE_WEEKS} weeks (anomaly-score.ts).
 * Postgres sums the hours and keeps only the hours whose excess over the median reaches the
 * minimum; the score is computed on those few here, in exact decimals.
 */
export class AnomalyService {
  private readonly listeners: AnomalyListener[] = [];

  constructor(private readonly dataSource: DataSource) {}

  /** Tells `listener` of every anomaly recorded from now on, once (the monitor calls it). */
  onAnomalies(listener: AnomalyListener): void {
    this.listeners.push(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  async tellListeners(anomalies: AnomalyDetected[], manager: EntityManager): Promise<void> {
    for (const listener of this.listeners) await listener(anomalies, manager);
  }

  /**
   * Anomalies of the hours starting in `[from, to)`, in one currency, ordered by hour.
   * `limit`: most anomalies answered, the highest scores (default {@link MAX_ANOMALIES}, the
   * GraphQL answer's cap); the monitor reads all of its 24 hours.
   */
  async anomalies(options: {
    from: Date;
    to: Date;
    currency: string;
    limit?: number;
  }): Promise<AnomalyValue[]> {
    checkAnomalyRange(options.from, options.to);
    // Grouping weeks of hours per series hashes in memory instead of spilling to disk.
    return this.dataSource.transaction(async (manager) => {
      await tuneForAggregation(manager);
      return this.read(manager, options);
    });
  }

  private async read(
    manager: EntityManager,
    options: { from: Date; to: Date; currency: string; limit?: number },
  ): Promise<AnomalyValue[]> {
    const { from, to, currency } = options;
    const first: { first: Date | string | null }[] = await manager.query(
      `SELECT min(hour) AS first FROM usage_hourly WHERE currency = $1`,
      [currency],
    );
    const historyStart = first[0]?.first;
    if (historyStart === null || historyStart === undefined) return [];
    const params: unknown[] = [currency, from.toISOString(), to.toISOString(), MIN_EXCESS];
    params.push(new Date(historyStart).toISOString());
    // An hour either side of each range: the neighbouring hours the MAD pools.
    const ranges = readRanges(new Date(from.getTime() - HOUR_MS), new Date(to.getTime() + HOUR_MS))
      .map(([start, end]) => {
        params.push(start.toISOString(), end.toISOString());
        return `(hour >= $${params.length - 1} AND hour < $${params.length})`;
      })
      .join(' OR ');
    const sums = (column: string) =>
      `SELECT '${column}'::text AS dimension, ${column} AS value, hour, sum(cost) AS cost
       FROM usage_hourly WHERE currency = $1 AND (${ranges}) GROUP BY ${column}, hour`;
    const sameSeries = (left: string, right: string) =>
      `${left}.dimension = ${right}.dimension AND ${left}.vkey = ${right}.vkey AND ${left}.absent = ${right}.absent`;
    const rows: {
      dimension: string;
      value: string | null;
      hour: Date | string;
      observed: string;
      baseline: string[];
      before: string[];
      after: string[];
    }[] = await manager.query(
      `WITH sums AS (${sums('feature')} UNION ALL ${sums('team')}),
         keyed AS (
           SELECT dimension, value, coalesce(value, '') AS vkey, value IS NULL AS absent, hour, cost FROM sums
         ),
         candidates AS MATERIALIZED (SELECT * FROM keyed WHERE hour >= $2 AND hour < $3 AND cost >= $4),
         baseline AS (
           SELECT c.dimension, c.vkey, c.absent, c.value, c.hour, c.cost AS observed, w.k,
                  coalesce(b.cost, 0) AS cost
           FROM candidates c
           CROSS JOIN generate_series(1, ${BASELINE_WEEKS}) AS w(k)
           LEFT JOIN keyed b ON ${sameSeries('b', 'c')} AND b.hour = c.hour - make_interval(weeks => w.k)
           WHERE c.hour - make_interval(weeks => w.k) >= $5
         ),
         survivors AS (
           SELECT dimension, vkey, absent, value, hour, observed,
                  array_agg(cost::text ORDER BY k) AS baseline
           FROM baseline
           GROUP BY dimension, vkey, absent, value, hour, observed
           HAVING count(*) >= ${MIN_BASELINE_WEEKS}
              AND observed - (percentile_disc(0.5) WITHIN GROUP (ORDER BY cost)
                              + percentile_disc(0.5) WITHIN GROUP (ORDER BY cost DESC)) / 2 >= $4
         ),
         neighbours AS (
           SELECT s.dimension, s.vkey, s.absent, s.hour, o.off,
                  array_agg(coalesce(n.cost, 0)::text ORDER BY w.k) AS costs
           FROM survivors s
           CROSS JOIN generate_series(1, ${BASELINE_WEEKS}) AS w(k)
           CROSS JOIN (VALUES (-1), (1)) AS o(off)
           LEFT JOIN keyed n ON ${sameSeries('n', 's')}
             AND n.hour = s.hour - make_interval(weeks => w.k) + make_interval(hours => o.off)
           WHERE s.hour - make_interval(weeks => w.k) + make_interval(hours => o.off) >= $5
           GROUP BY s.dimension, s.vkey, s.absent, s.hour, o.off
         )
         SELECT s.dimension, s.value, s.hour, s.observed::text AS observed, s.baseline,
                coalesce(nb.costs, '{}') AS before, coalesce(na.costs, '{}') AS after
         FROM survivors s
         LEFT JOIN neighbours nb ON ${sameSeries('nb', 's')} AND nb.hour = s.hour AND nb.off = -1
         LEFT JOIN neighbours na ON ${sameSeries('na', 's')} AND na.hour = s.hour AND na.off = 1`,
      params,
    );
    const found: AnomalyValue[] = [];
    for (const row of rows) {
      const observed = new Money(row.observed);
      const money = (values: string[]) => values.map((value) => new Money(value));
      const score = scoreHour(observed, money(row.baseline), [money(row.before), money(row.after)]);
      if (!score.anomalous) continue;
      found.push({
        dimension: row.dimension as AnomalyDimensionName,
        value: row.value,
        hour: new Date(row.hour),
        currency,
        expected: plain(score.expected),
        observed: plain(observed),
        excess: plain(score.excess),
        score: score.score,
        baselineWeeks: row.baseline.length,
      });
    }
    return found
      .sort((left, right) => right.score - left.score)
      .slice(0, options.limit ?? MAX_ANOMALIES)
      .sort(
        (left, right) =>
          left.hour.getTime() - right.hour.getTime() ||
          left.dimension.localeCompare(right.dimension) ||
          (left.value ?? '').localeCompare(right.value ?? ''),
      );
  }
}
