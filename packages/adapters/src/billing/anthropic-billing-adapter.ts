import { formatDecimal, Money, type Usage } from '@purser/pricing';
import { z } from 'zod';

import { AdapterError } from '../errors';
import { compactUsage } from '../usage-math';
import type { BillingAdapterFactoryV1 } from './billing-adapter-factory-v1';
import type { BillingAdapterSettings } from './billing-adapter-settings';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import type { BillingFetchRequest } from './billing-fetch-request';
import type { BillingHttpProvider } from './billing-http';
import {
  bucketStartDay,
  currencyOrUsd,
  jsonCount,
  jsonDecimal,
  parseBillingShape,
  parseBucketResults,
  stringDimensions,
  type BucketResult,
  type WarningList,
} from './billing-json';
import { createDailyReportAdapter } from './billing-pages';
import type { BillingCostType, BillingTokenType, ProviderCostLine } from './provider-cost-line';
import type { ProviderUsageLine } from './provider-usage-line';

/**
 * Anthropic's Admin API usage and cost reports (`sk-ant-admin…` key).
 * https://docs.anthropic.com/en/api/admin-api/usage-cost/get-cost-report
 * https://docs.anthropic.com/en/api/admin-api/usage-cost/get-messages-usage-report
 */
export const ANTHROPIC_BILLING_PROVIDER: BillingHttpProvider = {
  id: 'anthropic',
  name: 'Anthropic',
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  versionPrefix: '/v1',
  headers: (apiKey) => ({ 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' }),
  authHint: 'Use an Admin API key (sk-ant-admin…) of an organization, not a workspace key.',
};

/** Settings of {@link createAnthropicBillingAdapter}. */
export type AnthropicBillingSettings = BillingAdapterSettings;

const bucketSchema = z.object({
  starting_at: z.string().max(64),
  ending_at: z.string().max(64).nullish(),
  results: z.array(z.unknown()).max(100_000).nullish(),
});

/** How a result was served, in both reports: kept on each line as dimensions. */
const serviceFields = {
  service_tier: z.string().max(64).nullish(),
  context_window: z.string().max(64).nullish(),
  inference_geo: z.string().max(64).nullish(),
};

/**
 * One cost report result. `amount` is in the currency's lowest unit (cents) as a decimal
 * string, fractional cents included (`"553.566"` = $5.53566).
 */
export const anthropicCostResultSchema = z.object({
  amount: jsonDecimal.nullish(),
  currency: z.string().max(16).nullish(),
  cost_type: z.string().max(64).nullish(),
  token_type: z.string().max(128).nullish(),
  description: z.string().max(1024).nullish(),
  model: z.string().max(256).nullish(),
  ...serviceFields,
  speed: z.string().max(64).nullish(),
  workspace_id: z.string().max(256).nullish(),
});

/** One messages usage report result; the four input counters are disjoint. */
export const anthropicUsageResultSchema = z.object({
  api_key_id: z.string().max(256).nullish(),
  workspace_id: z.string().max(256).nullish(),
  model: z.string().max(256).nullish(),
  ...serviceFields,
  uncached_input_tokens: jsonCount.nullish(),
  cache_read_input_tokens: jsonCount.nullish(),
  cache_creation: z
    .object({
      ephemeral_5m_input_tokens: jsonCount.nullish(),
      ephemeral_1h_input_tokens: jsonCount.nullish(),
    })
    .nullish(),
  output_tokens: jsonCount.nullish(),
  server_tool_use: z.object({ web_search_requests: jsonCount.nullish() }).nullish(),
});

/** The cost report's `token_type` → Purser's canonical bucket. */
export const ANTHROPIC_TOKEN_TYPES: Readonly<Record<string, BillingTokenType>> = {
  uncached_input_tokens: 'input_tokens',
  output_tokens: 'output_tokens',
  cache_read_input_tokens: 'cache_read_tokens',
  'cache_creation.ephemeral_5m_input_tokens': 'cache_write_tokens',
  'cache_creation.ephemeral_1h_input_tokens': 'cache_write_1h_tokens',
};

const COST_TYPES: Readonly<Record<string, BillingCostType>> = {
  tokens: 'tokens',
  web_search: 'web_search',
  code_execution: 'code_execution',
};

/** Cents (a decimal string) → major units, exactly: `"553.566"` → `"5.53566"`. */
export function centsToAmount(cents: string): string {
  return formatDecimal(new Money(cents).div(100));
}

/**
 * A report bucket: its `starting_at` as a UTC day (warning when it is not a day bucket) and
 * its results read with `resultSchema`.
 */
function readBucket<S extends z.ZodType>(
  bucket: unknown,
  where: string,
  warnings: WarningList,
  resultSchema: S,
): { day: string; results: BucketResult<z.output<S>>[] } {
  const { starting_at: startingAt, results } = parseBillingShape(bucketSchema, bucket, where);
  const start = /^\d{4}-\d{2}-\d{2}T/.test(startingAt)
    ? new Date(startingAt)
    : new Date(Number.NaN);
  if (Number.isNaN(start.getTime())) {
    throw new AdapterError({
      code: 'INVALID_BILLING_RESPONSE',
      message: `${where}.starting_at: not an RFC 3339 time (got ${JSON.stringify(startingAt.slice(0, 64))})`,
    });
  }
  return {
    day: bucketStartDay(start, where, warnings),
    results: parseBucketResults(resultSchema, results, where),
  };
}

/** Converts one cost report bucket (pure). Keys on `cost_type`, `token_type` and `model`, never on `description`. */
export function convertAnthropicCostBucket(
  bucket: unknown,
  where: string,
  warnings: WarningList,
): ProviderCostLine[] {
  const { day, results } = readBucket(bucket, where, warnings, anthropicCostResultSchema);
  const lines: ProviderCostLine[] = [];
  for (const { raw, at, result } of results) {
    if (result.amount == null) {
      warnings.add(`${at}: no amount; line skipped`);
      continue;
    }
    const currency = currencyOrUsd(result.currency, at, warnings);
    let tokenType: BillingTokenType | null = null;
    if (result.token_type != null) {
      tokenType = ANTHROPIC_TOKEN_TYPES[result.token_type] ?? null;
      if (tokenType === null) {
        warnings.add(
          `${at}: token_type ${JSON.stringify(result.token_type)} not known; kept without a token type`,
        );
      }
    }
    const costType: BillingCostType =
      result.cost_type == null
        ? tokenType === null
          ? 'other'
          : 'tokens'
        : (COST_TYPES[result.cost_type] ?? 'other');
    if (result.cost_type != null && COST_TYPES[result.cost_type] === undefined) {
      warnings.add(
        `${at}: cost_type ${JSON.stringify(result.cost_type)} kept as an unmatched charge`,
      );
    }
    const dimensions = stringDimensions(result, [
      'service_tier',
      'context_window',
      'inference_geo',
      'speed',
    ]);
    lines.push({
      day,
      provider: 'anthropic',
      model: result.model ?? null,
      lineItem:
        result.description ??
        [result.cost_type ?? 'cost', result.token_type].filter(Boolean).join(' '),
      costType,
      tokenType,
      project: result.workspace_id ?? null,
      amount: centsToAmount(result.amount),
      currency,
      quantity: null,
      unit: null,
      dimensions,
      raw,
    });
  }
  return lines;
}

/** Canonical usage of one messages usage result (the four input counters are disjoint). */
export function anthropicUsageResultToUsage(
  result: z.output<typeof anthropicUsageResultSchema>,
): Usage {
  return compactUsage({
    input_tokens: result.uncached_input_tokens ?? 0,
    cache_read_tokens: result.cache_read_input_tokens ?? 0,
    cache_write_tokens: result.cache_creation?.ephemeral_5m_input_tokens ?? 0,
    cache_write_1h_tokens: result.cache_creation?.ephemeral_1h_input_tokens ?? 0,
    output_tokens: result.output_tokens ?? 0,
    units: { web_search_requests: result.server_tool_use?.web_search_requests ?? 0 },
  });
}

/** Converts one messages usage report bucket (pure). */
export function convertAnthropicUsageBucket(
  bucket: unknown,
  where: string,
  warnings: WarningList,
): ProviderUsageLine[] {
  const { day, results } = readBucket(bucket, where, warnings, anthropicUsageResultSchema);
  return results.map(({ raw, result }) => {
    const dimensions = stringDimensions(result, [
      'api_key_id',
      'service_tier',
      'context_window',
      'inference_geo',
    ]);
    return {
      day,
      provider: 'anthropic',
      model: result.model ?? null,
      project: result.workspace_id ?? null,
      usage: anthropicUsageResultToUsage(result),
      requests: null,
      dimensions,
      raw,
    };
  });
}

/** RFC 3339 without milliseconds when they are zero, as the API's examples write it. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

function timeRange(request: BillingFetchRequest): [string, string][] {
  return [
    ['starting_at', rfc3339(request.from)],
    ['ending_at', rfc3339(request.to)],
  ];
}

/**
 * An Anthropic billing adapter: `doFetchCosts` reads `GET /v1/organizations/cost_report` by
 * day, grouped by workspace and description (which splits by model, cost type and token
 * type); `doFetchUsage` reads `GET /v1/organizations/usage_report/messages` by day, grouped
 * by workspace and model.
 */
export function createAnthropicBillingAdapter(
  settings: AnthropicBillingSettings,
): BillingAdapterV1 {
  return createDailyReportAdapter(ANTHROPIC_BILLING_PROVIDER, settings, {
    timeRange,
    costs: {
      path: '/organizations/cost_report',
      groupBy: ['workspace_id', 'description'],
      convertBucket: convertAnthropicCostBucket,
    },
    usage: {
      path: '/organizations/usage_report/messages',
      groupBy: ['workspace_id', 'model'],
      convertBucket: convertAnthropicUsageBucket,
    },
  });
}

/** Registry record of the Anthropic billing adapter. */
export const anthropicBillingAdapterFactory: BillingAdapterFactoryV1 = {
  specificationVersion: 'v1',
  id: 'anthropic',
  description: 'Anthropic Admin API cost report and messages usage report (Admin API key)',
  kind: 'api',
  defaultBaseUrl: ANTHROPIC_BILLING_PROVIDER.defaultBaseUrl,
  create: createAnthropicBillingAdapter,
};
