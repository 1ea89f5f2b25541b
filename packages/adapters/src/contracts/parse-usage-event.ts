import { canonicalProvider, type Usage } from '@purser/pricing';

import {
  convertProviderUsage,
  DEFAULT_USAGE_FORMAT_BY_PROVIDER,
  isUsageFormat,
  USAGE_FORMATS,
} from '../convert-usage';
import { AdapterError } from '../errors';
import { readJson } from '../parse-json';
import { formatIssues } from '../zod-issues';
import { type CloudEventEnvelope, unwrapCloudEvent } from './cloud-event';
import { jsonContentIssues, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-content';
import {
  ATTRIBUTION_KEYS,
  attributionFromWire,
  type UsageEvent,
  USAGE_EVENT_LIMITS,
  USAGE_EVENT_WIRE_KEYS,
  usageEventWireSchema,
  wireUsageSchema,
} from './usage-event';
import { fastUsageEventWire, fastWireUsage } from './usage-event-fast';

/** Options of {@link parseUsageEvent}. */
export interface ParseUsageEventOptions {
  /** The current time; passed in so that parsing is pure and testable. */
  now: Date;
  /** How far in the future a timestamp may be (clock skew). Default 5 minutes. */
  maxFutureSkewMs?: number;
  /**
   * How old a timestamp may be; unset: no limit (a backfill tool's choice). The service
   * always sets it (`INGEST_MAX_AGE_DAYS`).
   */
  maxAgeMs?: number;
}

/** Default of {@link ParseUsageEventOptions.maxFutureSkewMs}: 5 minutes. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Result of {@link parseUsageEvent}: never throws on bad input. */
export type ParseUsageEventResult =
  | {
      ok: true;
      event: UsageEvent;
      /** Unusual but accepted input: unknown fields, clamped provider counts… */
      warnings: string[];
      /** The CloudEvents envelope, when the body was one. */
      cloudEvent?: CloudEventEnvelope;
    }
  | {
      ok: false;
      /** One line naming the field, e.g. `usage.input_tokens: must be a non-negative integer (got -5)`. */
      reason: string;
      details: {
        /** Every problem found, one line each. */
        issues: string[];
        /** The event id, when it could be read (for the dead-letter record). */
        id?: string;
        source?: string;
      };
    };

const MAX_REASON_ISSUES = 5;

function failure(issues: string[], body: unknown): ParseUsageEventResult {
  const record =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const read = (key: string) =>
    Object.hasOwn(record, key) && typeof record[key] === 'string'
      ? (record[key] as string).slice(0, 256)
      : undefined;
  const id = read('id');
  const source = read('source');
  const shown = issues.slice(0, MAX_REASON_ISSUES);
  const more = issues.length - shown.length;
  return {
    ok: false,
    reason: shown.join('; ') + (more > 0 ? `; and ${more} more` : ''),
    details: {
      issues,
      ...(id === undefined ? {} : { id }),
      ...(source === undefined ? {} : { source }),
    },
  };
}

/** Whether {@link dropNulls} would change `record`. */
function needsNullDrop(record: Record<string, unknown>): boolean {
  // for…in with an own-property check visits what Object.keys lists, without its array.
  for (const key in record) {
    if (Object.hasOwn(record, key) && record[key] === null) return true;
  }
  return false;
}

const WIRE_KEYS: ReadonlySet<string> = new Set(USAGE_EVENT_WIRE_KEYS);
const ATTRIBUTION_KEY_SET: ReadonlySet<string> = new Set(ATTRIBUTION_KEYS);

/**
 * JSON `null` on an optional field means "absent", as most gateways serialize it. Keys are
 * defined, never assigned: whatever a key is, it cannot set the copy's prototype.
 */
function dropNulls(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === null) continue;
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Number of own keys of `value` when it is a plain JSON object; undefined otherwise. */
function keyCount(value: unknown): number | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.keys(value).length
    : undefined;
}

/**
 * The bounds on how much of an event there is, checked before the schema reads it: the
 * schema spends microseconds per map entry, so 60,000 tags in one 1 MiB message would stall
 * the event loop for a third of a second (and a 10 MiB HTTP body for seconds).
 */
function bulkIssues(record: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const { maxFields, maxTags, maxUnits, maxProviderUsageBytes } = USAGE_EVENT_LIMITS;
  const fields = keyCount(record)!;
  if (fields > maxFields) issues.push(`(root): more than ${maxFields} fields (got ${fields})`);
  const attribution = keyCount(record.attribution);
  if (attribution !== undefined && attribution > maxFields) {
    issues.push(`attribution: more than ${maxFields} fields (got ${attribution})`);
  }
  const tags = keyCount(record.tags);
  if (tags !== undefined && tags > maxTags) {
    issues.push(`tags: must have at most ${maxTags} tags (got ${tags})`);
  }
  const usage = record.usage;
  const units =
    usage !== null && typeof usage === 'object'
      ? keyCount((usage as Record<string, unknown>).units)
      : undefined;
  if (units !== undefined && units > maxUnits) {
    issues.push(`usage.units: must have at most ${maxUnits} units (got ${units})`);
  }
  const raw = record.provider_usage;
  if (raw !== null && typeof raw === 'object') {
    // Nested at most MAX_JSON_DEPTH levels (jsonContentIssues): JSON.stringify cannot overflow.
    const size = Buffer.byteLength(JSON.stringify(raw), 'utf8');
    if (size > maxProviderUsageBytes) {
      issues.push(`provider_usage: ${size} bytes, more than the limit of ${maxProviderUsageBytes}`);
    }
  }
  return issues;
}

function unknownFieldWarnings(record: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  for (const key in record) {
    if (Object.hasOwn(record, key) && !WIRE_KEYS.has(key))
      warnings.push(`ignored unknown field ${JSON.stringify(key)}`);
  }
  const attribution = record.attribution;
  if (attribution !== null && typeof attribution === 'object' && !Array.isArray(attribution)) {
    for (const key in attribution) {
      if (Object.hasOwn(attribution, key) && !ATTRIBUTION_KEY_SET.has(key)) {
        warnings.push(`ignored unknown field ${JSON.stringify(`attribution.${key}`)}`);
      }
    }
  }
  return warnings;
}

function usageEquals(left: Usage, right: Usage): boolean {
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right));
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, item]) => [key, sortKeys(item)]),
  );
}

/**
 * Validates and normalizes one usage event (or a CloudEvents 1.0 envelope holding one) in the
 * wire shape. Never throws on bad input: a failure carries a reason that names the field,
 * ready for a dead letter. Unknown fields are ignored and reported as warnings; `usage` keys
 * are strict, because an unrecognized bucket would otherwise be silently unpriced.
 *
 * When `usage` is absent, `provider_usage` is converted with the converter named by
 * `usage_format` (default: the provider's, see `DEFAULT_USAGE_FORMAT_BY_PROVIDER`).
 */
export function parseUsageEvent(
  input: unknown,
  options: ParseUsageEventOptions,
): ParseUsageEventResult {
  // Before anything reads or copies it: no "__proto__" key, no NUL, nothing but JSON.
  const content = jsonContentIssues(input, MAX_REASON_ISSUES + 1);
  if (content.length > 0) return failure(content, input);
  return parseCheckedUsageEvent(input, options);
}

/** {@link parseUsageEvent} of a value {@link jsonContentIssues} found nothing in. */
function parseCheckedUsageEvent(
  input: unknown,
  options: ParseUsageEventOptions,
): ParseUsageEventResult {
  const unwrapped = unwrapCloudEvent(input);
  if (!unwrapped.ok) return failure([unwrapped.reason], input);
  const body = unwrapped.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return failure(['(root): must be a JSON object (a usage event)'], body);
  }
  // Most events have no nulls: they are then read as they are, without copies (the schema
  // never changes its input).
  let record = body as Record<string, unknown>;
  if (needsNullDrop(record)) record = dropNulls(record);
  if (
    record.attribution !== null &&
    typeof record.attribution === 'object' &&
    !Array.isArray(record.attribution) &&
    needsNullDrop(record.attribution as Record<string, unknown>)
  ) {
    if (record === body) record = dropNulls(record);
    record.attribution = dropNulls(record.attribution as Record<string, unknown>);
  }
  const bulk = bulkIssues(record);
  if (bulk.length > 0) return failure(bulk, body);
  // The common, certainly valid event is checked by hand; anything unusual goes through the
  // schema, which has the last word and words the failure.
  let wire = fastUsageEventWire(record);
  if (wire === undefined) {
    const parsed = usageEventWireSchema.safeParse(record, { reportInput: true });
    if (!parsed.success) return failure(formatIssues(parsed.error), body);
    wire = parsed.data;
  }
  const warnings = unknownFieldWarnings(record);
  const issues: string[] = [];

  // Time window.
  const timestamp = new Date(wire.timestamp);
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const aheadMs = timestamp.getTime() - options.now.getTime();
  if (Number.isNaN(aheadMs)) {
    issues.push(`timestamp: ${JSON.stringify(wire.timestamp)} is not a date that exists`);
  } else if (aheadMs > maxFutureSkewMs) {
    issues.push(
      `timestamp: ${wire.timestamp} is ${aheadMs} ms in the future (more than the allowed ` +
        `clock skew of ${maxFutureSkewMs} ms)`,
    );
  }
  if (options.maxAgeMs !== undefined && -aheadMs > options.maxAgeMs) {
    issues.push(
      `timestamp: ${wire.timestamp} is older than the accepted age of ${describeDuration(options.maxAgeMs)}`,
    );
  }

  // Usage: given canonically, or converted from the provider's raw object.
  let provider = wire.provider === undefined ? undefined : canonicalProvider(wire.provider);
  let model = wire.model;
  let usage: Usage | undefined = wire.usage;
  let usageFormat: string | undefined;
  if (wire.provider_usage !== undefined) {
    // With canonical usage present, the raw object is only kept for audit: a problem reading
    // it is a warning. Without it, the raw object is the usage: the same problem rejects the
    // event.
    const providerUsageProblem = (message: string): void => {
      if (wire.usage === undefined) issues.push(message);
      else warnings.push(`${message}; usage is used`);
    };
    // Its size was bounded before the schema read it (bulkIssues).
    const format =
      wire.usage_format ??
      (provider === undefined ? undefined : DEFAULT_USAGE_FORMAT_BY_PROVIDER[provider]);
    if (format === undefined) {
      providerUsageProblem(
        `usage_format: required with provider_usage for provider ${JSON.stringify(provider ?? '(none)')} ` +
          `(known formats: ${USAGE_FORMATS.join(', ')})`,
      );
    } else if (!isUsageFormat(format)) {
      providerUsageProblem(
        `usage_format: unknown format ${JSON.stringify(format)} (known formats: ${USAGE_FORMATS.join(', ')})`,
      );
    } else {
      usageFormat = format;
      try {
        const converted = convertProviderUsage(format, wire.provider_usage);
        provider ??=
          converted.provider === undefined ? undefined : canonicalProvider(converted.provider);
        model ??= converted.model;
        const fastUsage = fastWireUsage(converted.usage);
        const checked =
          fastUsage === undefined
            ? wireUsageSchema.safeParse(converted.usage, { reportInput: true })
            : { success: true as const, data: fastUsage as Usage };
        if (!checked.success) {
          for (const issue of formatIssues(checked.error)) {
            providerUsageProblem(`provider_usage (converted): ${issue}`);
          }
        } else if (usage === undefined) {
          usage = checked.data;
          warnings.push(...converted.warnings.map((warning) => `provider_usage: ${warning}`));
        } else if (!usageEquals(usage, checked.data)) {
          warnings.push(
            `usage and provider_usage disagree (${JSON.stringify(usage)} vs ` +
              `${JSON.stringify(checked.data)}); usage is used`,
          );
        }
      } catch (error) {
        // A converter's own words (AdapterError) name the field; anything else it throws is
        // still a problem of this input, not of the batch it came in.
        providerUsageProblem(
          AdapterError.isInstance(error)
            ? `provider_usage: ${error.message}`
            : `provider_usage: could not be read as ${format} (${String(error)})`,
        );
      }
    }
  } else if (wire.usage_format !== undefined) {
    warnings.push('usage_format is ignored without provider_usage');
  }

  if (provider === undefined || provider === '') issues.push('provider: required');
  if (model === undefined) issues.push('model: required');
  if (usage === undefined && issues.length === 0) {
    // A failed or gateway-cached call may legitimately have consumed nothing.
    if (wire.status === 'error' || wire.cache_hit === true) usage = {};
    else issues.push('usage: required (or provider_usage with its usage_format)');
  }
  if (issues.length > 0 || usage === undefined) return failure(issues, body);

  const event: UsageEvent = {
    id: wire.id,
    source: wire.source,
    timestamp,
    timestampText: wire.timestamp,
    provider: provider!,
    model: model!,
    usage,
    attribution: attributionFromWire(wire.attribution),
    tags: wire.tags ?? {},
    status: wire.status,
    cacheHit: wire.cache_hit ?? false,
    batch: wire.batch ?? false,
  };
  if (wire.operation !== undefined) event.operation = wire.operation;
  if (wire.provider_usage !== undefined) event.providerUsage = wire.provider_usage;
  if (usageFormat !== undefined) event.usageFormat = usageFormat;
  if (wire.latency_ms !== undefined) event.latencyMs = wire.latency_ms;
  if (wire.error_type !== undefined) event.errorType = wire.error_type;
  if (wire.retry_count !== undefined) event.retryCount = wire.retry_count;
  if (wire.reported_cost !== undefined) event.reportedCost = wire.reported_cost;
  if (wire.decision_id !== undefined) event.decisionId = wire.decision_id;
  return unwrapped.envelope === undefined
    ? { ok: true, event, warnings }
    : { ok: true, event, warnings, cloudEvent: unwrapped.envelope };
}

const DAY_MS = 86_400_000;

/** `400 days`, `1 day`, or milliseconds when not whole days. */
function describeDuration(ms: number): string {
  if (ms > 0 && ms % DAY_MS === 0) return ms === DAY_MS ? '1 day' : `${ms / DAY_MS} days`;
  return `${ms} ms`;
}

/**
 * {@link readJson} + {@link parseUsageEvent} for a raw message body (NATS data, HTTP body, a
 * dead letter's payload): the same answer as for the parsed value, and a reason with its
 * position for bytes that are not UTF-8 or not JSON, never an exception.
 */
export function parseUsageEventJson(
  text: string | Uint8Array,
  options: ParseUsageEventOptions,
): ParseUsageEventResult {
  const read = readJson(text, { maxDepth: MAX_JSON_DEPTH });
  if (!read.ok) return { ok: false, reason: read.message, details: { issues: [read.message] } };
  // A key can only decode to "__proto__", and a string to one holding NUL (JSON.parse refuses
  // a raw control character), where the text says so literally or through a \u escape; and n
  // values take at least 2n - 1 characters, so a shorter text cannot pass the value bound.
  // The common event is all three, and skips the walk over its value.
  const source = read.text;
  if (
    source.length <= 2 * MAX_JSON_VALUES &&
    !source.includes('\\u') &&
    !source.includes('__proto__')
  ) {
    return parseCheckedUsageEvent(read.value, options);
  }
  return parseUsageEvent(read.value, options);
}
