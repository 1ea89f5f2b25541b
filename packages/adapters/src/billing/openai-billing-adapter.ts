import type { Usage } from '@purser/pricing';
import { z } from 'zod';

import { AdapterError } from '../errors';
import { compactUsage, subtractClamped } from '../usage-math';
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
  jsonInteger,
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
 * OpenAI's organization Costs and Usage APIs (Admin API key).
 * https://platform.openai.com/docs/api-reference/usage/costs
 * https://platform.openai.com/docs/api-reference/usage/completions
 */
export const OPENAI_BILLING_PROVIDER: BillingHttpProvider = {
  id: 'openai',
  name: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
  versionPrefix: '/v1',
  headers: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  authHint: 'Use an Admin API key (organization owner) with the api.usage.read scope.',
};

/** Settings of {@link createOpenAIBillingAdapter}. */
export type OpenAIBillingSettings = BillingAdapterSettings;

const bucketSchema = z.object({
  start_time: jsonInteger,
  end_time: jsonInteger.nullish(),
  results: z.array(z.unknown()).max(100_000).nullish(),
});

/**
 * One `organization.costs.result`. Both field sets are read: the older one without
 * `quantity`/`quantity_unit` (added Aug 2026), the newer one with them. `amount.value` is
 * a JSON number, read from its source text, never through a float.
 */
export const openaiCostsResultSchema = z.object({
  object: z.string().nullish(),
  amount: z
    .object({ value: jsonDecimal.nullish(), currency: z.string().max(16).nullish() })
    .nullish(),
  line_item: z.string().max(1024).nullish(),
  project_id: z.string().max(256).nullish(),
  api_key_id: z.string().max(256).nullish(),
  quantity: jsonDecimal.nullish(),
  quantity_unit: z.string().max(64).nullish(),
});

/**
 * One `organization.usage.completions.result`, both field sets: the 2025 one
 * (`input_tokens`, `input_cached_tokens`, `output_tokens`, audio) and the July-2026 one
 * that adds `input_cache_write_tokens`, `input_uncached_tokens` and text/image splits.
 */
export const openaiUsageResultSchema = z.object({
  object: z.string().nullish(),
  input_tokens: jsonCount.nullish(),
  input_cached_tokens: jsonCount.nullish(),
  input_cache_write_tokens: jsonCount.nullish(),
  input_uncached_tokens: jsonCount.nullish(),
  output_tokens: jsonCount.nullish(),
  input_audio_tokens: jsonCount.nullish(),
  output_audio_tokens: jsonCount.nullish(),
  num_model_requests: jsonCount.nullish(),
  project_id: z.string().max(256).nullish(),
  user_id: z.string().max(256).nullish(),
  api_key_id: z.string().max(256).nullish(),
  model: z.string().max(256).nullish(),
  batch: z.boolean().nullish(),
  service_tier: z.string().max(64).nullish(),
});

/** What a Costs `line_item` says, read from its free text. */
export interface OpenAILineItem {
  readonly model: string | null;
  readonly costType: BillingCostType;
  readonly tokenType: BillingTokenType | null;
  /** `priority` of `"priority | gpt-…, output"`. */
  readonly serviceTier: string | null;
  /** What follows the token kind (`long context`), comma-joined. */
  readonly qualifier: string | null;
  /** Whether the text followed a known pattern. */
  readonly recognized: boolean;
}

const TOKEN_KINDS: Readonly<Record<string, BillingTokenType>> = {
  input: 'input_tokens',
  'cached input': 'cache_read_tokens',
  'cache read': 'cache_read_tokens',
  'cache write': 'cache_write_tokens',
  'cached write': 'cache_write_tokens',
  'input cache write': 'cache_write_tokens',
  output: 'output_tokens',
};

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Reads an OpenAI cost `line_item`. Token lines are `"<model>, input|cached input|output"`,
 * optionally prefixed by a service tier (`"priority | "`) and followed by qualifiers
 * (`", long context"`); OpenAI does not document the vocabulary, so anything else is kept
 * as an unmatched charge (`recognized: false`), never dropped.
 */
export function parseOpenAILineItem(lineItem: string): OpenAILineItem {
  let text = lineItem.trim();
  let serviceTier: string | null = null;
  const tier = /^([A-Za-z_-]{1,32})\s*\|\s*(.*)$/.exec(text);
  if (tier) {
    serviceTier = tier[1]!.toLowerCase();
    text = tier[2]!;
  }
  const lower = text.toLowerCase();
  if (/web search/.test(lower)) {
    return {
      model: null,
      costType: 'web_search',
      tokenType: null,
      serviceTier,
      qualifier: null,
      recognized: true,
    };
  }
  if (/code interpreter|container/.test(lower)) {
    return {
      model: null,
      costType: 'code_execution',
      tokenType: null,
      serviceTier,
      qualifier: null,
      recognized: true,
    };
  }
  const parts = text.split(',').map((part) => part.trim());
  const [model, kind, ...rest] = parts;
  if (model !== undefined && kind !== undefined && MODEL_ID.test(model)) {
    const tokenType = TOKEN_KINDS[kind.toLowerCase()] ?? null;
    return {
      model,
      costType: tokenType === null ? 'other' : 'tokens',
      tokenType,
      serviceTier,
      qualifier: rest.length === 0 ? null : rest.join(', '),
      recognized: tokenType !== null,
    };
  }
  return {
    model: null,
    costType: 'other',
    tokenType: null,
    serviceTier,
    qualifier: null,
    recognized: false,
  };
}

/**
 * A Costs or Usage bucket: its start as a UTC day (warning when it is not a day bucket) and
 * its results read with `resultSchema`.
 */
function readBucket<S extends z.ZodType>(
  bucket: unknown,
  where: string,
  warnings: WarningList,
  resultSchema: S,
): { day: string; results: BucketResult<z.output<S>>[] } {
  const { start_time: startTime, results } = parseBillingShape(bucketSchema, bucket, where);
  const start = new Date(startTime * 1000);
  if (Number.isNaN(start.getTime())) {
    throw new AdapterError({
      code: 'INVALID_BILLING_RESPONSE',
      message: `${where}.start_time: not a Unix time (got ${startTime})`,
    });
  }
  return {
    day: bucketStartDay(start, where, warnings),
    results: parseBucketResults(resultSchema, results, where),
  };
}

/** Converts one Costs bucket (pure). */
export function convertOpenAICostsBucket(
  bucket: unknown,
  where: string,
  warnings: WarningList,
): ProviderCostLine[] {
  const { day, results } = readBucket(bucket, where, warnings, openaiCostsResultSchema);
  const lines: ProviderCostLine[] = [];
  for (const { raw, at, result } of results) {
    const amount = result.amount?.value;
    if (amount == null) {
      warnings.add(`${at}: no amount.value; line skipped`);
      continue;
    }
    const currency = currencyOrUsd(result.amount?.currency, at, warnings);
    const lineItemText = result.line_item ?? '';
    const item = lineItemText === '' ? null : parseOpenAILineItem(lineItemText);
    if (item === null) {
      warnings.add(
        `${at}: no line_item (group the request by line_item); kept as an unmatched charge`,
      );
    } else if (!item.recognized) {
      warnings.add(
        `${at}: line item ${JSON.stringify(lineItemText)} not recognized; kept as an unmatched charge`,
      );
    }
    const dimensions: Record<string, string> = {};
    if (item?.serviceTier) dimensions.service_tier = item.serviceTier;
    if (item?.qualifier) dimensions.qualifier = item.qualifier;
    if (result.api_key_id) dimensions.api_key_id = result.api_key_id;
    lines.push({
      day,
      provider: 'openai',
      model: item?.model ?? null,
      lineItem: lineItemText,
      costType: item?.costType ?? 'other',
      tokenType: item?.tokenType ?? null,
      project: result.project_id ?? null,
      amount,
      currency,
      quantity: result.quantity ?? null,
      unit: result.quantity == null ? null : (result.quantity_unit ?? null),
      dimensions,
      raw,
    });
  }
  return lines;
}

/**
 * Canonical usage of one completions result. `input_tokens` includes cached and
 * cache-write tokens; the newer `input_uncached_tokens` is used when present, else it is
 * derived. Audio moves to `units` (priced apart), as the usage converter does.
 */
export function openaiUsageResultToUsage(
  result: z.output<typeof openaiUsageResultSchema>,
  warnings: string[],
): Usage {
  const cached = result.input_cached_tokens ?? 0;
  const writes = result.input_cache_write_tokens ?? 0;
  const uncached =
    result.input_uncached_tokens ??
    subtractClamped(
      result.input_tokens ?? 0,
      cached + writes,
      {
        total: 'input_tokens',
        part: 'input_cached_tokens + input_cache_write_tokens',
        result: 'uncached input',
      },
      warnings,
    );
  const audioIn = result.input_audio_tokens ?? 0;
  const audioOut = result.output_audio_tokens ?? 0;
  return compactUsage({
    input_tokens: subtractClamped(
      uncached,
      audioIn,
      { total: 'uncached input', part: 'input_audio_tokens', result: 'input_tokens' },
      warnings,
    ),
    cache_read_tokens: cached,
    cache_write_tokens: writes,
    output_tokens: subtractClamped(
      result.output_tokens ?? 0,
      audioOut,
      { total: 'output_tokens', part: 'output_audio_tokens', result: 'output_tokens' },
      warnings,
    ),
    units: { input_audio_tokens: audioIn, output_audio_tokens: audioOut },
  });
}

/** Converts one completions Usage bucket (pure). */
export function convertOpenAIUsageBucket(
  bucket: unknown,
  where: string,
  warnings: WarningList,
): ProviderUsageLine[] {
  const { day, results } = readBucket(bucket, where, warnings, openaiUsageResultSchema);
  return results.map(({ raw, at, result }) => {
    const notes: string[] = [];
    const usage = openaiUsageResultToUsage(result, notes);
    for (const note of notes) warnings.add(`${at}: ${note}`);
    const dimensions = {
      ...(result.batch == null ? {} : { batch: String(result.batch) }),
      ...stringDimensions(result, ['service_tier', 'api_key_id', 'user_id']),
    };
    return {
      day,
      provider: 'openai',
      model: result.model ?? null,
      project: result.project_id ?? null,
      usage,
      requests: result.num_model_requests ?? null,
      dimensions,
      raw,
    };
  });
}

function timeRange(request: BillingFetchRequest): [string, string][] {
  return [
    ['start_time', String(Math.floor(request.from.getTime() / 1000))],
    ['end_time', String(Math.ceil(request.to.getTime() / 1000))],
  ];
}

/**
 * An OpenAI billing adapter: `doFetchCosts` reads `GET /v1/organization/costs` by day,
 * grouped by project and line item; `doFetchUsage` reads
 * `GET /v1/organization/usage/completions` by day, grouped by project and model.
 */
export function createOpenAIBillingAdapter(settings: OpenAIBillingSettings): BillingAdapterV1 {
  return createDailyReportAdapter(OPENAI_BILLING_PROVIDER, settings, {
    timeRange,
    costs: {
      path: '/organization/costs',
      groupBy: ['project_id', 'line_item'],
      convertBucket: convertOpenAICostsBucket,
    },
    usage: {
      path: '/organization/usage/completions',
      groupBy: ['project_id', 'model'],
      convertBucket: convertOpenAIUsageBucket,
    },
  });
}

/** Registry record of the OpenAI billing adapter. */
export const openaiBillingAdapterFactory: BillingAdapterFactoryV1 = {
  specificationVersion: 'v1',
  id: 'openai',
  description: 'OpenAI organization Costs API and completions Usage API (Admin API key)',
  kind: 'api',
  defaultBaseUrl: OPENAI_BILLING_PROVIDER.defaultBaseUrl,
  create: createOpenAIBillingAdapter,
};
