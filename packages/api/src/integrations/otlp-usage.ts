import { convertOtelGenAIUsage, OTEL_GENAI_ATTRIBUTES } from '@purser/adapters';
import { canonicalProvider, type Usage } from '@purser/pricing';

/** An attribute value as OTLP spans carry it once flattened (see `otlp-spans.ts`). */
export type Scalar = string | number | boolean;

/** What a span's GenAI attributes give a usage event: canonical usage, provider, model. */
export interface SpanUsage {
  usage: Usage;
  provider?: string;
  model?: string;
}

const KNOWN_USAGE = new Set<string>([
  ...OTEL_GENAI_ATTRIBUTES.inputTokens,
  ...OTEL_GENAI_ATTRIBUTES.outputTokens,
  ...OTEL_GENAI_ATTRIBUTES.cacheReadTokens,
  ...OTEL_GENAI_ATTRIBUTES.cacheWriteTokens,
  ...OTEL_GENAI_ATTRIBUTES.reasoningTokens,
  'gen_ai.usage.total_tokens',
]);

/** The first of `names` present (the converter's rule), or undefined. */
function first(attributes: Record<string, Scalar>, names: readonly string[]): Scalar | undefined {
  for (const name of names) {
    if (Object.hasOwn(attributes, name)) return attributes[name];
  }
  return undefined;
}

/** A count as the converter reads one, or NaN when it would refuse it. */
function tokens(attributes: Record<string, Scalar>, names: readonly string[]): number {
  const value = first(attributes, names);
  if (value === undefined) return 0;
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : NaN;
}

function name(attributes: Record<string, Scalar>, names: readonly string[]): string | undefined {
  const value = first(attributes, names);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The fast twin of `convertOtelGenAIUsage` for the spans instrumentations send: plain counts,
 * no unknown `gen_ai.usage.*` attribute, a cache within the input, reasoning within the
 * output — exactly the converter's answer, without its schema (≈ 20× less time a span). It
 * stands aside (undefined) for anything else, where the converter warns or refuses.
 * Held to the converter on generated attributes by `otlp-usage.test.ts`.
 */
export function fastOtelUsage(attributes: Record<string, Scalar>): SpanUsage | undefined {
  for (const key of Object.keys(attributes)) {
    if (key.startsWith('gen_ai.usage.') && !KNOWN_USAGE.has(key)) return undefined;
  }
  if (
    first(attributes, OTEL_GENAI_ATTRIBUTES.inputTokens) === undefined &&
    first(attributes, OTEL_GENAI_ATTRIBUTES.outputTokens) === undefined
  ) {
    return undefined;
  }
  const reported = tokens(attributes, OTEL_GENAI_ATTRIBUTES.inputTokens);
  const cacheRead = tokens(attributes, OTEL_GENAI_ATTRIBUTES.cacheReadTokens);
  const cacheWrite = tokens(attributes, OTEL_GENAI_ATTRIBUTES.cacheWriteTokens);
  const output = tokens(attributes, OTEL_GENAI_ATTRIBUTES.outputTokens);
  const reasoning = tokens(attributes, OTEL_GENAI_ATTRIBUTES.reasoningTokens);
  const input = reported - cacheRead - cacheWrite;
  // NaN (a count the converter refuses) fails these too.
  if (!(input >= 0) || !(reasoning <= output)) return undefined;
  const usage: Usage = {};
  if (input > 0) usage.input_tokens = input;
  if (cacheRead > 0) usage.cache_read_tokens = cacheRead;
  if (cacheWrite > 0) usage.cache_write_tokens = cacheWrite;
  if (output > 0) usage.output_tokens = output;
  if (reasoning > 0) usage.reasoning_tokens = reasoning;
  const provider = name(attributes, OTEL_GENAI_ATTRIBUTES.provider);
  const model = name(attributes, OTEL_GENAI_ATTRIBUTES.model);
  return {
    usage,
    ...(provider === undefined ? {} : { provider }),
    ...(model === undefined ? {} : { model }),
  };
}

/**
 * The wire fields of a span's usage: converted here (fast twin, else the `otel` converter,
 * which subtracts the cache from `gen_ai.usage.input_tokens`) so the event is canonical and
 * takes the parser's fast path. Attributes the converter refuses go on as `provider_usage`,
 * for the parser to refuse naming why (the event is then dead-lettered with that reason).
 */
export function spanUsageFields(genAI: Record<string, Scalar>): Record<string, unknown> {
  let converted: SpanUsage | undefined = fastOtelUsage(genAI);
  if (!converted) {
    try {
      converted = convertOtelGenAIUsage(genAI);
    } catch {
      return { provider_usage: genAI, usage_format: 'otel' };
    }
  }
  return {
    ...(converted.provider ? { provider: canonicalProvider(converted.provider) } : {}),
    ...(converted.model ? { model: converted.model } : {}),
    usage: converted.usage,
  };
}
