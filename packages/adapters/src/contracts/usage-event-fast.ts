import { z } from 'zod';

import { DECIMAL_STRING_PATTERN, isPlainObject } from '@purser/pricing';

import {
  ATTRIBUTION_KEYS,
  USAGE_EVENT_LIMITS,
  USAGE_STATUSES,
  type UsageEventWire,
  wireUsageSchema,
} from './usage-event';

/**
 * The fast path of `usageEventWireSchema.safeParse` for the common case: an event whose every
 * field is certainly valid. It answers exactly the schema's output (same values, same keys in
 * the same order, defaults applied, currency upper-cased), or `undefined` as soon as anything
 * is unusual — a wrong type, a bound crossed, an unknown usage key, a number for an amount, a
 * non-plain object, a `__proto__` key, an explicit `undefined` — and the caller then runs the
 * schema, which has the last word and words the error. It never rejects on its own.
 *
 * `usage-event-fast.test.ts` runs both over realistic events and many mutations of them.
 */
export function fastUsageEventWire(record: Record<string, unknown>): UsageEventWire | undefined {
  if (!isPlainObject(record)) return undefined;
  const { id, source, timestamp } = record;
  if (!isBoundedString(id, USAGE_EVENT_LIMITS.maxIdLength)) return undefined;
  if (source !== undefined || 'source' in record) {
    if (!isBoundedString(source, USAGE_EVENT_LIMITS.maxIdLength)) return undefined;
  }
  if (typeof timestamp !== 'string' || !DATETIME_PATTERN.test(timestamp)) return undefined;

  const out: Record<string, unknown> = {
    id,
    source: source ?? 'default',
    timestamp,
  };
  for (const [key, max] of OPTIONAL_STRINGS_BEFORE_USAGE) {
    if (!copyOptionalString(record, out, key, max)) return undefined;
  }
  if (!copyOptional(record, out, 'usage', fastWireUsage)) return undefined;
  if (!copyOptional(record, out, 'provider_usage', copyProviderUsage)) return undefined;
  if (!copyOptionalString(record, out, 'usage_format', 32)) return undefined;
  if (!copyOptional(record, out, 'attribution', fastAttribution)) return undefined;
  if (!copyOptional(record, out, 'tags', fastTags)) return undefined;
  if ('latency_ms' in record) {
    const latency = record.latency_ms;
    if (
      typeof latency !== 'number' ||
      !(latency >= 0 && latency <= USAGE_EVENT_LIMITS.maxLatencyMs)
    ) {
      return undefined;
    }
    out.latency_ms = latency;
  }
  if ('status' in record) {
    const status = record.status;
    if (status !== USAGE_STATUSES[0] && status !== USAGE_STATUSES[1]) return undefined;
    out.status = status;
  } else {
    out.status = USAGE_STATUSES[0];
  }
  if (!copyOptionalString(record, out, 'error_type', 256)) return undefined;
  if ('retry_count' in record) {
    const retries = record.retry_count;
    if (!isIntegerWithin(retries, USAGE_EVENT_LIMITS.maxRetryCount)) return undefined;
    out.retry_count = retries;
  }
  if ('cache_hit' in record) {
    if (typeof record.cache_hit !== 'boolean') return undefined;
    out.cache_hit = record.cache_hit;
  }
  if ('reported_cost' in record) {
    const cost = record.reported_cost;
    if (!isPlainObject(cost)) return undefined;
    const { amount, currency } = cost;
    if (typeof amount !== 'string' || !DECIMAL_STRING_PATTERN.test(amount)) return undefined;
    if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency)) return undefined;
    out.reported_cost = { amount, currency: currency.toUpperCase() };
  }
  if (!copyOptionalString(record, out, 'decision_id', USAGE_EVENT_LIMITS.maxIdLength)) {
    return undefined;
  }
  if ('batch' in record) {
    if (typeof record.batch !== 'boolean') return undefined;
    out.batch = record.batch;
  }
  return out as UsageEventWire;
}

/** The schema's own RFC 3339 pattern (`z.iso.datetime({ offset: true })`). */
const DATETIME_PATTERN = z.core.regexes.datetime({ offset: true });
const CURRENCY_PATTERN = /^[A-Za-z]{3}$/;

const OPTIONAL_STRINGS_BEFORE_USAGE: [key: string, max: number][] = [
  ['provider', 64],
  ['model', 256],
  ['operation', 64],
];

/** Keys of the canonical wire usage in schema order (the token buckets, then `units`). */
const USAGE_KEYS: readonly string[] = Object.keys(wireUsageSchema.shape);
const USAGE_KEY_SET: ReadonlySet<string> = new Set(USAGE_KEYS);

function hasOwn(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

function isBoundedString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

function isIntegerWithin(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Copies `key` as `read` makes it; false when it is present and `read` refuses it. */
function copyOptional(
  record: Record<string, unknown>,
  out: Record<string, unknown>,
  key: string,
  read: (value: unknown) => unknown,
): boolean {
  if (!(key in record)) return true;
  const value = read(record[key]);
  if (value === undefined) return false;
  out[key] = value;
  return true;
}

/** Copies `key` when it holds a valid bounded string; false when it is present and not one. */
function copyOptionalString(
  record: Record<string, unknown>,
  out: Record<string, unknown>,
  key: string,
  max: number,
): boolean {
  if (!(key in record)) return true;
  const value = record[key];
  if (!isBoundedString(value, max)) return false;
  out[key] = value;
  return true;
}

/** A shallow copy of the raw provider usage (an object or an array), as the schema makes. */
function copyProviderUsage(raw: unknown): Record<string, unknown> | unknown[] | undefined {
  if (Array.isArray(raw)) {
    const copy: unknown[] = [];
    for (let index = 0; index < raw.length; index += 1) {
      if (raw[index] === undefined) return undefined;
      copy.push(raw[index]);
    }
    return copy;
  }
  if (!isPlainObject(raw)) return undefined;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (key === '__proto__' || raw[key] === undefined) return undefined;
    copy[key] = raw[key];
  }
  return copy;
}

/**
 * The fast path of `wireUsageSchema.safeParse` (canonical usage with per-call limits): its
 * exact output, or `undefined` when the schema must decide.
 */
export function fastWireUsage(usage: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(usage)) return undefined;
  for (const key in usage) {
    if (!USAGE_KEY_SET.has(key) || !hasOwn(usage, key)) return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of USAGE_KEYS) {
    if (!(key in usage)) continue;
    const value = usage[key];
    if (key === 'units') {
      const units = fastUnits(value);
      if (units === undefined) return undefined;
      out.units = units;
    } else {
      if (!isIntegerWithin(value, USAGE_EVENT_LIMITS.maxTokensPerBucket)) return undefined;
      out[key] = value;
    }
  }
  return out;
}

/**
 * A copy of a plain object of at most `maxEntries` entries whose keys are 1 to `maxKeyLength`
 * characters (never `__proto__`) and whose values pass `isValue`; otherwise `undefined`.
 */
function fastRecord<Value>(
  record: unknown,
  maxEntries: number,
  maxKeyLength: number,
  isValue: (value: unknown) => value is Value,
): Record<string, Value> | undefined {
  if (!isPlainObject(record)) return undefined;
  const keys = Object.keys(record);
  if (keys.length > maxEntries) return undefined;
  const out: Record<string, Value> = {};
  for (const key of keys) {
    const value = record[key];
    if (key.length < 1 || key.length > maxKeyLength || key === '__proto__' || !isValue(value)) {
      return undefined;
    }
    out[key] = value;
  }
  return out;
}

function isUnitQuantity(quantity: unknown): quantity is number {
  return (
    typeof quantity === 'number' && quantity >= 0 && quantity <= USAGE_EVENT_LIMITS.maxUnitsPerKey
  );
}

function fastUnits(units: unknown): Record<string, number> | undefined {
  return fastRecord(units, USAGE_EVENT_LIMITS.maxUnits, 64, isUnitQuantity);
}

function fastAttribution(attribution: unknown): Record<string, string> | undefined {
  if (!isPlainObject(attribution)) return undefined;
  const out: Record<string, string> = {};
  for (const key of ATTRIBUTION_KEYS) {
    if (!(key in attribution)) continue;
    const value = attribution[key];
    if (!isBoundedString(value, USAGE_EVENT_LIMITS.maxAttributionLength)) return undefined;
    out[key] = value;
  }
  return out;
}

function isTagValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= USAGE_EVENT_LIMITS.maxTagValueLength;
}

function fastTags(tags: unknown): Record<string, string> | undefined {
  return fastRecord(
    tags,
    USAGE_EVENT_LIMITS.maxTags,
    USAGE_EVENT_LIMITS.maxTagKeyLength,
    isTagValue,
  );
}
