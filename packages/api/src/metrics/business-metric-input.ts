import { createHash } from 'node:crypto';
import { ROLLUP_ATTRIBUTION_KEYS } from '@purser/adapters';
import { AMOUNT_BOUNDS, decimalProblem, isPlainObject } from '@purser/pricing';
import { badInput } from '../errors';

/** Largest list one `POST /v1/metrics` (or `recordBusinessMetrics`) may carry. */
export const MAX_METRICS_PER_REQUEST = 5_000;

/** Bounds of a business metric's text fields. */
export const METRIC_LIMITS = {
  maxIdLength: 256,
  maxNameLength: 128,
  maxAttributionLength: 256,
} as const;

/**
 * A metric name: a letter or digit first, then letters, digits and `_ . : / -`
 * (`resolved_tickets`, `revenue`, `orders.completed`).
 */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
/** An ISO 4217 code (upper-cased on the way in: `usd` is `USD`). */
const CURRENCY_PATTERN = /^[A-Za-z]{3}$/;
/** RFC 3339 with a zone (`2026-11-20T10:00:00Z`, `…+01:00`), up to nanoseconds. */
const TIMESTAMP_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
/** The earliest timestamp a metric may carry. */
const EARLIEST = Date.UTC(2000, 0, 1);
/** How far ahead of the service's clock a timestamp may be (clock skew), in ms. */
const MAX_FUTURE_MS = 24 * 3_600_000;

const FIELDS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'timestamp',
  'value',
  'currency',
  'attribution',
]);
const ATTRIBUTION_KEYS: ReadonlySet<string> = new Set(ROLLUP_ATTRIBUTION_KEYS);

/** The attribution of a metric: the usage rollup's keys (`team`, `feature`, `customer`…). */
export type MetricAttribution = Partial<Record<(typeof ROLLUP_ATTRIBUTION_KEYS)[number], string>>;

/** A business metric, validated. */
export interface BusinessMetric {
  /** The given id, or {@link derivedMetricId}. */
  id: string;
  name: string;
  timestamp: Date;
  /** A non-negative decimal string. */
  value: string;
  /** Set for money metrics (revenue): an upper-case ISO 4217 code. */
  currency?: string;
  attribution: MetricAttribution;
}

/** One item's outcome of validation. */
export type ParsedMetric =
  { ok: true; metric: BusinessMetric } | { ok: false; field: string; reason: string };

/**
 * The id of a metric sent without one: `sha256:` and the SHA-256 of its name, its instant
 * (milliseconds since the epoch: `…T10:00:00Z` and `…T11:00:00+01:00` are one instant) and
 * its attribution in key order. The value and currency are not part of it: a metric re-sent
 * with the same name, instant and attribution is the same reading, not a second one.
 */
export function derivedMetricId(
  name: string,
  timestamp: Date,
  attribution: MetricAttribution,
): string {
  const pairs = ROLLUP_ATTRIBUTION_KEYS.filter((key) => attribution[key] !== undefined).map(
    (key) => [key, attribution[key]],
  );
  const text = JSON.stringify([name, timestamp.getTime(), pairs]);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Whether text holds a NUL or a lone surrogate (Postgres stores neither as sent). */
function unstorable(text: string): boolean {
  return text.includes('\u0000') || !(text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The problem of a bounded text field, or null. */
function textProblem(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters (got ${value.length})`;
  if (unstorable(value)) return 'must not contain NUL or a lone surrogate';
  return null;
}

/**
 * Validates one metric in the wire shape (`{id?, name, timestamp, value, currency?,
 * attribution?}`). JSON `null` on an optional field means absent. Work is linear in the
 * item's size: every key is looked at once and the first problem ends the walk. `now` is
 * the service's clock (a timestamp may be at most a day ahead of it).
 */
export function parseMetric(raw: unknown, now: Date): ParsedMetric {
  const refuse = (field: string, reason: string): ParsedMetric => ({ ok: false, field, reason });
  if (!isPlainObject(raw)) return refuse('', 'must be a JSON object (a metric)');
  const item = raw as Record<string, unknown>;
  for (const key of Object.keys(item)) {
    if (!FIELDS.has(key))
      return refuse(
        key.length > 64 ? `${key.slice(0, 61)}...` : key,
        'unknown field (id, name, timestamp, value, currency, attribution)',
      );
  }
  let id: string | undefined;
  if (item.id !== undefined && item.id !== null) {
    const problem = textProblem(item.id, METRIC_LIMITS.maxIdLength);
    if (problem) return refuse('id', problem);
    id = item.id as string;
  }
  const nameProblem = textProblem(item.name, METRIC_LIMITS.maxNameLength);
  if (nameProblem) return refuse('name', nameProblem);
  const name = item.name as string;
  if (!NAME_PATTERN.test(name))
    return refuse('name', 'must start with a letter or digit and hold only A-Z a-z 0-9 _ . : / -');
  if (typeof item.timestamp !== 'string' || !TIMESTAMP_PATTERN.test(item.timestamp))
    return refuse('timestamp', 'must be an RFC 3339 date-time with a zone (2026-11-20T10:00:00Z)');
  const timestamp = new Date(item.timestamp);
  // Date parsing rolls 2026-02-30 over to March: the date must read back as written.
  if (Number.isNaN(timestamp.getTime()) || !sameCalendarDate(item.timestamp, timestamp))
    return refuse('timestamp', 'is not a real date-time');
  if (timestamp.getTime() < EARLIEST) return refuse('timestamp', 'must be in 2000 or later');
  if (timestamp.getTime() > now.getTime() + MAX_FUTURE_MS)
    return refuse('timestamp', 'must not be more than a day in the future');
  let value: string;
  if (typeof item.value === 'number' && Number.isSafeInteger(item.value) && item.value >= 0) {
    value = String(item.value);
  } else {
    const problem = decimalProblem('', item.value, AMOUNT_BOUNDS);
    if (problem) return refuse('value', problem.trimStart());
    value = item.value as string;
  }
  let currency: string | undefined;
  if (item.currency !== undefined && item.currency !== null) {
    if (typeof item.currency !== 'string' || !CURRENCY_PATTERN.test(item.currency))
      return refuse('currency', 'must be an ISO 4217 code such as "USD"');
    currency = item.currency.toUpperCase();
  }
  const attribution: MetricAttribution = {};
  if (item.attribution !== undefined && item.attribution !== null) {
    if (!isPlainObject(item.attribution))
      return refuse('attribution', 'must be an object such as {"customer": "acme"}');
    const given = item.attribution as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      const shown = key.length > 64 ? `${key.slice(0, 61)}...` : key;
      if (!ATTRIBUTION_KEYS.has(key))
        return refuse(
          `attribution.${shown}`,
          `not a metric dimension (${ROLLUP_ATTRIBUTION_KEYS.join(', ')})`,
        );
      const field = given[key];
      if (field === null || field === undefined) continue;
      const problem = textProblem(field, METRIC_LIMITS.maxAttributionLength);
      if (problem) return refuse(`attribution.${key}`, problem);
      Object.defineProperty(attribution, key, { value: field, enumerable: true });
    }
  }
  return {
    ok: true,
    metric: {
      id: id ?? derivedMetricId(name, timestamp, attribution),
      name,
      timestamp,
      value,
      ...(currency ? { currency } : {}),
      attribution,
    },
  };
}

/** Whether the date part of an RFC 3339 text is the calendar date it parsed to (in its zone). */
function sameCalendarDate(text: string, parsed: Date): boolean {
  const zone = /(Z|[+-]\d{2}:\d{2})$/i.exec(text)![1]!;
  const offsetMinutes =
    zone.toUpperCase() === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) *
        (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const local = new Date(parsed.getTime() + offsetMinutes * 60_000);
  return local.toISOString().slice(0, 10) === text.slice(0, 10);
}

/**
 * The one batch rule of REST and GraphQL: at least one metric, at most
 * {@link MAX_METRICS_PER_REQUEST}. `what` names the field in the error (`body`, `metrics`).
 */
export function checkMetricBatch(count: number, what: string): void {
  if (count === 0) throw badInput(`${what} is an empty list: send at least one metric`);
  if (count > MAX_METRICS_PER_REQUEST)
    throw badInput(`at most ${MAX_METRICS_PER_REQUEST} metrics per request (got ${count})`);
}
