/**
 * The anomalies page's data: which series an anomaly is about (a feature or a team), its
 * excess, and the flagged series' hours on the anomaly's UTC day for the chart. Amounts stay
 * decimal strings; sums and differences are exact.
 */
import { subtractDecimals, sumDecimals } from './decimal';
import { jsonText } from './format';

export interface AnomalyLike {
  dimensions: Record<string, unknown>;
  expected: string;
  observed: string;
  score: number;
}

/** The series an anomaly belongs to: its dimension, its value (null: spend that named none). */
export interface SeriesKey {
  dimension: string;
  name: string | null;
}

export interface Located {
  series: SeriesKey;
  /** The hour as an ISO instant ("2026-11-24T14:00:00.000Z"); null when it is not one. */
  hour: string | null;
}

const HOUR_MS = 3_600_000;

/** An instant in any ISO form as "…T14:00:00.000Z", or null. */
export function normalHour(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** The series (feature or team, or whatever other key the service names) and the hour. */
export function locate(dimensions: Record<string, unknown>): Located {
  const keys = Object.keys(dimensions).filter((key) => key !== 'hour');
  const dimension = ['feature', 'team'].find((key) => key in dimensions) ?? keys[0] ?? 'series';
  const raw = dimensions[dimension];
  const name = raw === null || raw === undefined || raw === '' ? null : jsonText(raw);
  return { series: { dimension, name }, hour: normalHour(dimensions.hour) };
}

/** observed − expected, exactly. */
export function excess(anomaly: Pick<AnomalyLike, 'expected' | 'observed'>): string {
  return subtractDecimals(anomaly.observed, anomaly.expected);
}

/** The series in words: "feature chat", "team (none named)". */
export function seriesText(series: SeriesKey): string {
  return `${series.dimension} ${series.name ?? '(none named)'}`;
}

export const sameSeries = (a: SeriesKey, b: SeriesKey) =>
  a.dimension === b.dimension && a.name === b.name;

/** The 24 hours of the UTC day holding `hour`: [from, to) and each hour's instant. */
export function dayOfHour(hour: string): { from: string; to: string; hours: string[] } {
  const start = Math.floor(Date.parse(hour) / (24 * HOUR_MS)) * 24 * HOUR_MS;
  const hours = Array.from({ length: 24 }, (_, index) =>
    new Date(start + index * HOUR_MS).toISOString(),
  );
  return { from: hours[0], to: new Date(start + 24 * HOUR_MS).toISOString(), hours };
}

export interface HourRowLike {
  cost: string;
  dimensions: Record<string, unknown>;
}

/** What the chart draws: each hour's spend and, at the flagged hours, the expected spend. */
export interface SeriesDay {
  series: SeriesKey;
  hours: string[];
  observed: string[];
  expected: (string | null)[];
  flagged: string[];
}

/**
 * A series' day for the chart: spend rows grouped by HOUR (summed per hour, 0 where none),
 * with the expected spend at the hours of `anomalies` that are this series' (null elsewhere).
 */
export function seriesDay(
  series: SeriesKey,
  hour: string,
  rows: HourRowLike[],
  anomalies: AnomalyLike[],
): SeriesDay {
  const { hours } = dayOfHour(hour);
  const index = new Map(hours.map((item, position) => [item, position]));
  const cells: string[][] = hours.map(() => []);
  for (const row of rows) {
    const position = index.get(normalHour(row.dimensions.hour) ?? '');
    if (position !== undefined) cells[position].push(row.cost);
  }
  const expected: (string | null)[] = hours.map(() => null);
  const flagged: string[] = [];
  for (const anomaly of anomalies) {
    const located = locate(anomaly.dimensions);
    const position = index.get(located.hour ?? '');
    if (position === undefined || !sameSeries(located.series, series)) continue;
    expected[position] = anomaly.expected;
    flagged.push(hours[position]);
  }
  return {
    series,
    hours,
    observed: cells.map((cell) => sumDecimals(cell)),
    expected,
    flagged: flagged.sort(),
  };
}
