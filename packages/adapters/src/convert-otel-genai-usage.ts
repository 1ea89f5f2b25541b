import { z } from 'zod';

import { AdapterError } from './errors';
import type { UsageConversionResult, UsageConverterV1 } from './usage-converter';
import { compactUsage } from './usage-math';
import { formatIssues } from './zod-issues';

/**
 * Attribute names of the OpenTelemetry GenAI semantic conventions, current name first, then
 * the spellings older or vendor instrumentations still emit (OpenLLMetry, Sentry, Strands…).
 * https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/
 */
export const OTEL_GENAI_ATTRIBUTES = {
  inputTokens: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  outputTokens: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cacheReadTokens: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.cached_tokens',
    'gen_ai.usage.cache_read_tokens',
  ],
  cacheWriteTokens: [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'gen_ai.usage.input_tokens.cache_write',
    'gen_ai.usage.cache_write_input_tokens',
    'gen_ai.usage.cache_write_tokens',
  ],
  reasoningTokens: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.output_tokens.reasoning',
    'gen_ai.usage.reasoning_tokens',
  ],
  provider: ['gen_ai.provider.name', 'gen_ai.system'],
  model: ['gen_ai.response.model', 'gen_ai.request.model'],
} as const;

/** `gen_ai.usage.*` attributes read on purpose, or deliberately ignored (derived totals). */
const KNOWN_USAGE_ATTRIBUTES = new Set<string>([
  ...OTEL_GENAI_ATTRIBUTES.inputTokens,
  ...OTEL_GENAI_ATTRIBUTES.outputTokens,
  ...OTEL_GENAI_ATTRIBUTES.cacheReadTokens,
  ...OTEL_GENAI_ATTRIBUTES.cacheWriteTokens,
  ...OTEL_GENAI_ATTRIBUTES.reasoningTokens,
  'gen_ai.usage.total_tokens',
]);

const otlpAnyValueSchema = z.object({
  stringValue: z.string().nullish(),
  intValue: z.union([z.string(), z.number()]).nullish(),
  doubleValue: z.number().nullish(),
  boolValue: z.boolean().nullish(),
});

/**
 * Either a flat attribute map (`span.attributes` of an SDK, a collector's JSON log) or the
 * OTLP/JSON `KeyValue` list, where `intValue` is a decimal string.
 */
export const otelGenAIAttributesSchema = z.union([
  z.array(z.object({ key: z.string(), value: otlpAnyValueSchema.nullish() })),
  z.record(z.string(), z.unknown()),
]);

/** OTel GenAI attributes in either accepted shape. */
export type OtelGenAIAttributes = z.infer<typeof otelGenAIAttributesSchema>;

function flattenAttributes(raw: unknown): Record<string, unknown> {
  const candidate =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'attributes' in raw
      ? (raw as { attributes: unknown }).attributes
      : raw;
  const result = otelGenAIAttributesSchema.safeParse(candidate, { reportInput: true });
  if (!result.success) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message: `otel usage: ${formatIssues(result.error).join('; ')}`,
    });
  }
  if (!Array.isArray(result.data)) return result.data;
  const flat: Record<string, unknown> = {};
  for (const { key, value } of result.data) {
    flat[key] =
      value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue ?? undefined;
  }
  return flat;
}

function firstPresent(
  attributes: Record<string, unknown>,
  names: readonly string[],
): [string, unknown] | undefined {
  for (const name of names) {
    const value = attributes[name];
    if (value !== undefined && value !== null) return [name, value];
  }
  return undefined;
}

function readTokens(attributes: Record<string, unknown>, names: readonly string[]): number {
  const found = firstPresent(attributes, names);
  if (!found) return 0;
  const [name, value] = found;
  // OTLP/JSON encodes 64-bit ints as strings; accept only plain digits there.
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < 0) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message: `otel usage: ${name} must be a non-negative integer (got ${JSON.stringify(value)})`,
    });
  }
  return parsed;
}

function readString(
  attributes: Record<string, unknown>,
  names: readonly string[],
): string | undefined {
  const found = firstPresent(attributes, names);
  return found && typeof found[1] === 'string' && found[1] !== '' ? found[1] : undefined;
}

/**
 * Converts OpenTelemetry GenAI span attributes.
 *
 * Assumption: `gen_ai.usage.input_tokens` INCLUDES cache reads and cache writes, because the
 * semantic conventions say both "SHOULD be included in gen_ai.usage.input_tokens"; so
 * input = input − cache reads − cache writes. Instrumentations that copy Anthropic's
 * exclusive `input_tokens` betray themselves when the cache exceeds the input: then the
 * input is taken as already exclusive, with a warning. Semconv has no cache TTL, so every
 * write is a 5-minute write. `gen_ai.usage.output_tokens` includes reasoning.
 */
export function convertOtelGenAIUsage(raw: unknown): UsageConversionResult {
  const attributes = flattenAttributes(raw);
  const warnings: string[] = [];
  const has = (names: readonly string[]): boolean => firstPresent(attributes, names) !== undefined;
  if (!has(OTEL_GENAI_ATTRIBUTES.inputTokens) && !has(OTEL_GENAI_ATTRIBUTES.outputTokens)) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message:
        'otel usage: no token counts found (expected gen_ai.usage.input_tokens/output_tokens)',
    });
  }
  const reported = readTokens(attributes, OTEL_GENAI_ATTRIBUTES.inputTokens);
  const cacheRead = readTokens(attributes, OTEL_GENAI_ATTRIBUTES.cacheReadTokens);
  const cacheWrite = readTokens(attributes, OTEL_GENAI_ATTRIBUTES.cacheWriteTokens);
  let input = reported - cacheRead - cacheWrite;
  if (input < 0) {
    input = reported;
    warnings.push(
      `cache tokens (${cacheRead + cacheWrite}) exceed gen_ai.usage.input_tokens (${reported}); ` +
        'taking the input as excluding the cache (pre-semconv Anthropic style)',
    );
  }
  const output = readTokens(attributes, OTEL_GENAI_ATTRIBUTES.outputTokens);
  let reasoning = readTokens(attributes, OTEL_GENAI_ATTRIBUTES.reasoningTokens);
  if (reasoning > output) {
    warnings.push(
      `reasoning tokens (${reasoning}) exceed gen_ai.usage.output_tokens (${output}); ` +
        'reasoning_tokens capped at the output',
    );
    reasoning = output;
  }
  for (const key of Object.keys(attributes)) {
    if (key.startsWith('gen_ai.usage.') && !KNOWN_USAGE_ATTRIBUTES.has(key)) {
      warnings.push(`ignored unknown usage attribute ${key}`);
    }
  }
  const provider = readString(attributes, OTEL_GENAI_ATTRIBUTES.provider);
  const model = readString(attributes, OTEL_GENAI_ATTRIBUTES.model);
  return {
    usage: compactUsage({
      input_tokens: input,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      output_tokens: output,
      reasoning_tokens: reasoning,
    }),
    warnings,
    ...(provider === undefined ? {} : { provider }),
    ...(model === undefined ? {} : { model }),
  };
}

/** Registry entry for OpenTelemetry GenAI semantic-convention attributes. */
export const otelGenAIUsageConverter: UsageConverterV1 = {
  specificationVersion: 'v1',
  format: 'otel',
  description: 'OpenTelemetry GenAI span attributes (flat map or OTLP/JSON KeyValue list)',
  convert: convertOtelGenAIUsage,
};
