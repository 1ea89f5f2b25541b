import { anthropicUsageConverter } from './convert-anthropic-usage';
import { geminiUsageConverter } from './convert-gemini-usage';
import { openaiUsageConverter } from './convert-openai-usage';
import { otelGenAIUsageConverter } from './convert-otel-genai-usage';
import { AdapterError } from './errors';
import type { UsageConversionResult, UsageConverterV1 } from './usage-converter';

/**
 * Every usage converter, keyed by `usage_format`. Adding a provider shape is one
 * `convert-<name>-usage.ts` file and one line here; a test fails when a file is not listed.
 */
export const USAGE_CONVERTERS = {
  openai: openaiUsageConverter,
  anthropic: anthropicUsageConverter,
  google: geminiUsageConverter,
  otel: otelGenAIUsageConverter,
} as const satisfies Record<string, UsageConverterV1>;

/** A registered usage format (`openai`, `anthropic`, `google`, `otel`). */
export type UsageFormat = keyof typeof USAGE_CONVERTERS;

/** The registered formats, in registry order. */
export const USAGE_FORMATS = Object.keys(USAGE_CONVERTERS) as UsageFormat[];

/**
 * The usage format a canonical provider id (see `canonicalProvider` of `@purser/pricing`)
 * returns when a usage event does not say. Providers
 * with an OpenAI-compatible API share the `openai` shape; Bedrock is absent on purpose: its
 * InvokeModel returns the model vendor's shape and Converse its own, so it must be explicit.
 */
export const DEFAULT_USAGE_FORMAT_BY_PROVIDER: Readonly<Record<string, UsageFormat>> = {
  openai: 'openai',
  azure: 'openai',
  mistral: 'openai',
  xai: 'openai',
  deepseek: 'openai',
  groq: 'openai',
  together: 'openai',
  fireworks: 'openai',
  openrouter: 'openai',
  perplexity: 'openai',
  deepinfra: 'openai',
  cerebras: 'openai',
  moonshot: 'openai',
  anthropic: 'anthropic',
  google: 'google',
};

/** Whether `format` names a registered converter. */
export function isUsageFormat(format: string): format is UsageFormat {
  return Object.prototype.hasOwnProperty.call(USAGE_CONVERTERS, format);
}

/** The converter registered under `format`; throws `UNKNOWN_USAGE_FORMAT` listing the known ones. */
export function getUsageConverter(format: string): UsageConverterV1 {
  if (!isUsageFormat(format)) {
    throw new AdapterError({
      code: 'UNKNOWN_USAGE_FORMAT',
      message: `unknown usage format ${JSON.stringify(format)}; known formats: ${USAGE_FORMATS.join(', ')}`,
      details: { format, known: USAGE_FORMATS },
    });
  }
  return USAGE_CONVERTERS[format];
}

/**
 * Converts a provider's raw usage into canonical `Usage` with the converter registered under
 * `format`. Throws `UNKNOWN_USAGE_FORMAT` or `INVALID_PROVIDER_USAGE` (`AdapterError`).
 */
export function convertProviderUsage(format: string, raw: unknown): UsageConversionResult {
  return getUsageConverter(format).convert(raw);
}
