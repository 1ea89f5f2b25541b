import Decimal from 'decimal.js';
import { z } from 'zod';

import { DECIMAL_STRING_PATTERN, decimalRule, type Usage, usageSchema } from '@purser/pricing';

/**
 * Bounds of a usage event. Generous for real traffic, tight enough that one bad or hostile
 * event cannot poison counters or bloat storage:
 * - a token bucket is at most 1e9 per call: today's largest context windows are ~1e7 tokens,
 *   so 100× headroom still fits an aggregated batch job, while a misplaced byte count or a
 *   timestamp pasted into a token field (~1.7e9 s, ~1.7e12 ms) is caught;
 * - a unit count (web searches, images…) is at most 1e6 per call;
 * - latency is at most 24 h and retries at most 1,000;
 * - identifiers and attribution values are at most 256 characters; tags at most 64 pairs of
 *   128-character keys and 512-character values; at most 64 kinds of unit per call;
 * - an event or its attribution has at most 256 fields (unknown ones are ignored, but each
 *   costs validation time: the bounds keep one event's reading short).
 */
export const USAGE_EVENT_LIMITS = {
  maxIdLength: 256,
  maxAttributionLength: 256,
  maxTokensPerBucket: 1_000_000_000,
  maxUnitsPerKey: 1_000_000,
  maxLatencyMs: 86_400_000,
  maxRetryCount: 1_000,
  maxTags: 64,
  maxTagKeyLength: 128,
  maxTagValueLength: 512,
  maxProviderUsageBytes: 64 * 1024,
  maxUnits: 64,
  maxFields: 256,
} as const;

/** The attribution keys usage is rolled up by (hourly spend): whom and what a call is for. */
export const ROLLUP_ATTRIBUTION_KEYS = [
  'team',
  'feature',
  'environment',
  'customer',
  'project',
  'user',
  'agent',
] as const;

/**
 * Attribution dimensions of a usage event (and of an authorization request): the rollup's,
 * then the per-call ones.
 */
export const ATTRIBUTION_KEYS = [
  ...ROLLUP_ATTRIBUTION_KEYS,
  'session',
  'virtual_key',
  'request_path',
] as const;

/** One of {@link ATTRIBUTION_KEYS}. */
export type AttributionKey = (typeof ATTRIBUTION_KEYS)[number];

/** Outcome of the provider call. */
export const USAGE_STATUSES = ['success', 'error'] as const;

const boundedString = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const eventTokenCount = z
  .number({ error: 'must be a non-negative integer' })
  .int({ error: 'must be a non-negative integer' })
  .nonnegative({ error: 'must be a non-negative integer' })
  .max(USAGE_EVENT_LIMITS.maxTokensPerBucket, {
    error: `must be at most ${USAGE_EVENT_LIMITS.maxTokensPerBucket} tokens per call`,
  });

/**
 * Canonical usage on the wire: the pricing package's `usageSchema` (strict, so an unknown key
 * such as `prompt_tokens` is an error rather than unpriced silence) with per-call limits.
 */
export const wireUsageSchema = usageSchema.extend({
  input_tokens: eventTokenCount.optional(),
  cache_read_tokens: eventTokenCount.optional(),
  cache_write_tokens: eventTokenCount.optional(),
  cache_write_1h_tokens: eventTokenCount.optional(),
  output_tokens: eventTokenCount.optional(),
  reasoning_tokens: eventTokenCount.optional(),
  units: z
    .record(
      boundedString(64),
      z
        .number({ error: 'must be a non-negative number' })
        .nonnegative({ error: 'must be a non-negative number' })
        .max(USAGE_EVENT_LIMITS.maxUnitsPerKey, {
          error: `must be at most ${USAGE_EVENT_LIMITS.maxUnitsPerKey} per call`,
        }),
    )
    .refine((units) => Object.keys(units).length <= USAGE_EVENT_LIMITS.maxUnits, {
      error: `must have at most ${USAGE_EVENT_LIMITS.maxUnits} units`,
    })
    .optional(),
});

/** Attribution on the wire; unknown keys are dropped (and reported as warnings by the parser). */
export const wireAttributionSchema = z.object(
  Object.fromEntries(
    ATTRIBUTION_KEYS.map((key) => [
      key,
      boundedString(USAGE_EVENT_LIMITS.maxAttributionLength).optional(),
    ]),
  ) as Record<AttributionKey, z.ZodOptional<ReturnType<typeof boundedString>>>,
  { error: 'must be an object' },
);

/** Upper-cases and checks an ISO 4217 code (`usd` → `USD`). */
export const currencySchema = z
  .string({ error: 'must be an ISO 4217 code such as "USD"' })
  .regex(/^[A-Za-z]{3}$/, { error: 'must be an ISO 4217 code such as "USD"' })
  .transform((code) => code.toUpperCase());

/**
 * A money amount as a plain decimal string. A JSON number is accepted for lenient gateways and
 * converted from its shortest string form (`0.1` → `"0.1"`, `1e-7` → `"0.0000001"`), never
 * through binary floating point arithmetic.
 */
export const amountSchema = z
  .union([z.string(), z.number().finite()], { error: decimalRule() })
  .transform((value, context) => {
    let text = typeof value === 'number' ? String(value) : value;
    if (typeof value === 'number') {
      text = new Decimal(text).toFixed();
    }
    if (!DECIMAL_STRING_PATTERN.test(text)) {
      context.addIssue({
        code: 'custom',
        message: decimalRule(),
        input: value,
      });
      return z.NEVER;
    }
    return text;
  });

/**
 * The usage event as gateways publish it (ARCHITECTURE.md, "Usage events"), snake_case.
 * Unknown top-level keys are stripped here; `parseUsageEvent` reports them as warnings.
 */
export const usageEventWireSchema = z.object(
  {
    id: boundedString(USAGE_EVENT_LIMITS.maxIdLength),
    source: boundedString(USAGE_EVENT_LIMITS.maxIdLength).default('default'),
    timestamp: z
      .string({ error: 'must be an RFC 3339 timestamp with an offset' })
      .pipe(
        z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp with an offset' }),
      ),
    provider: boundedString(64).optional(),
    model: boundedString(256).optional(),
    operation: boundedString(64).optional(),
    usage: wireUsageSchema.optional(),
    provider_usage: z
      .union([z.record(z.string(), z.unknown()), z.array(z.unknown())], {
        error: 'must be a JSON object (the provider usage as returned)',
      })
      .optional(),
    usage_format: boundedString(32).optional(),
    attribution: wireAttributionSchema.optional(),
    tags: z
      .record(
        boundedString(USAGE_EVENT_LIMITS.maxTagKeyLength),
        z.string({ error: 'must be a string' }).max(USAGE_EVENT_LIMITS.maxTagValueLength, {
          error: `must be at most ${USAGE_EVENT_LIMITS.maxTagValueLength} characters`,
        }),
        { error: 'must be an object of string values' },
      )
      .refine((tags) => Object.keys(tags).length <= USAGE_EVENT_LIMITS.maxTags, {
        error: `must have at most ${USAGE_EVENT_LIMITS.maxTags} tags`,
      })
      .optional(),
    latency_ms: z
      .number({ error: 'must be a non-negative number of milliseconds' })
      .nonnegative({ error: 'must be a non-negative number of milliseconds' })
      .max(USAGE_EVENT_LIMITS.maxLatencyMs, {
        error: `must be at most ${USAGE_EVENT_LIMITS.maxLatencyMs} ms`,
      })
      .optional(),
    status: z.enum(USAGE_STATUSES, { error: 'must be "success" or "error"' }).default('success'),
    error_type: boundedString(256).optional(),
    retry_count: z
      .number({ error: 'must be a non-negative integer' })
      .int({ error: 'must be a non-negative integer' })
      .nonnegative({ error: 'must be a non-negative integer' })
      .max(USAGE_EVENT_LIMITS.maxRetryCount, {
        error: `must be at most ${USAGE_EVENT_LIMITS.maxRetryCount}`,
      })
      .optional(),
    cache_hit: z.boolean({ error: 'must be a boolean' }).optional(),
    reported_cost: z
      .object({ amount: amountSchema, currency: currencySchema }, { error: 'must be an object' })
      .optional(),
    decision_id: boundedString(USAGE_EVENT_LIMITS.maxIdLength).optional(),
    batch: z.boolean({ error: 'must be a boolean' }).optional(),
  },
  { error: 'must be a JSON object' },
);

/** The wire shape as a publisher writes it (defaults optional). */
export type UsageEventWireInput = z.input<typeof usageEventWireSchema>;

/** The wire shape after validation (defaults applied, currency upper-cased). */
export type UsageEventWire = z.output<typeof usageEventWireSchema>;

/** Top-level keys of the wire shape, for reporting unknown ones. */
export const USAGE_EVENT_WIRE_KEYS: readonly string[] = Object.keys(usageEventWireSchema.shape);

/** Attribution of a normalized event, camelCased. Absent keys are unattributed. */
export interface UsageAttribution {
  team?: string;
  feature?: string;
  environment?: string;
  customer?: string;
  project?: string;
  user?: string;
  agent?: string;
  session?: string;
  virtualKey?: string;
  requestPath?: string;
}

/** The cost a gateway or provider reported for the call (informational; Purser prices itself). */
export interface ReportedCost {
  /** Plain decimal string, e.g. `"0.0025"`. */
  amount: string;
  /** ISO 4217, upper-case. */
  currency: string;
}

/**
 * A validated, normalized usage event: what ingest prices, dedupes and stores. Its identity
 * is `(source, id)`.
 */
export interface UsageEvent {
  /** Idempotency key, unique within `source`. */
  id: string;
  /** Publisher namespace of `id`; `"default"` when the wire omitted it. */
  source: string;
  /** When the call happened. */
  timestamp: Date;
  /** `timestamp` exactly as received (keeps sub-millisecond precision and the offset). */
  timestampText: string;
  /** Canonical provider id (`canonicalProvider` of `@purser/pricing`). */
  provider: string;
  /** The model as the provider returned it. */
  model: string;
  /** Kind of call (`chat`, `responses`, `embeddings`…), when given. */
  operation?: string;
  /** Canonical, non-overlapping usage. */
  usage: Usage;
  /** The provider's raw usage object, when the publisher sent one (kept for re-rating). */
  providerUsage?: Record<string, unknown> | unknown[];
  /** Converter used for `providerUsage`, when one was. */
  usageFormat?: string;
  attribution: UsageAttribution;
  tags: Record<string, string>;
  latencyMs?: number;
  status: (typeof USAGE_STATUSES)[number];
  errorType?: string;
  retryCount?: number;
  /** Served by a gateway cache: no provider cost. */
  cacheHit: boolean;
  reportedCost?: ReportedCost;
  /** Settles the hold made by `authorize`. */
  decisionId?: string;
  /** Made through a provider's batch API (batch prices apply). */
  batch: boolean;
}

const ATTRIBUTION_FIELD_NAMES: Record<AttributionKey, keyof UsageAttribution> = {
  team: 'team',
  feature: 'feature',
  environment: 'environment',
  customer: 'customer',
  project: 'project',
  user: 'user',
  agent: 'agent',
  session: 'session',
  virtual_key: 'virtualKey',
  request_path: 'requestPath',
};

/** Wire attribution (snake_case) → normalized (camelCase), dropping absent keys. */
export function attributionFromWire(
  wire: Partial<Record<AttributionKey, string | undefined>> | undefined,
): UsageAttribution {
  const out: UsageAttribution = {};
  for (const key of ATTRIBUTION_KEYS) {
    const value = wire?.[key];
    if (value !== undefined) out[ATTRIBUTION_FIELD_NAMES[key]] = value;
  }
  return out;
}

/** Normalized attribution (camelCase) → wire (snake_case). */
export function attributionToWire(
  attribution: UsageAttribution,
): Partial<Record<AttributionKey, string>> {
  const out: Partial<Record<AttributionKey, string>> = {};
  for (const key of ATTRIBUTION_KEYS) {
    const value = attribution[ATTRIBUTION_FIELD_NAMES[key]];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The wire form of a normalized event, for publishers and tests: parsing the result gives the
 * same event back. Optional fields that are absent stay absent.
 */
export function toWireUsageEvent(event: UsageEvent): UsageEventWire {
  const wire: UsageEventWire = {
    id: event.id,
    source: event.source,
    timestamp: event.timestampText,
    provider: event.provider,
    model: event.model,
    usage: event.usage,
    status: event.status,
  };
  if (event.operation !== undefined) wire.operation = event.operation;
  if (event.providerUsage !== undefined) wire.provider_usage = event.providerUsage;
  if (event.usageFormat !== undefined) wire.usage_format = event.usageFormat;
  const attribution = attributionToWire(event.attribution);
  if (Object.keys(attribution).length > 0) wire.attribution = attribution;
  if (Object.keys(event.tags).length > 0) wire.tags = { ...event.tags };
  if (event.latencyMs !== undefined) wire.latency_ms = event.latencyMs;
  if (event.errorType !== undefined) wire.error_type = event.errorType;
  if (event.retryCount !== undefined) wire.retry_count = event.retryCount;
  if (event.cacheHit) wire.cache_hit = true;
  if (event.reportedCost !== undefined) wire.reported_cost = { ...event.reportedCost };
  if (event.decisionId !== undefined) wire.decision_id = event.decisionId;
  if (event.batch) wire.batch = true;
  return wire;
}
