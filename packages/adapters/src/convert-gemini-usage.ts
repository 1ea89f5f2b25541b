import { z } from 'zod';

import { AdapterError } from './errors';
import type { UsageConversionResult, UsageConverterV1 } from './usage-converter';
import { compactUsage, count, parseRawUsage, rawTokenCount, subtractClamped } from './usage-math';

/**
 * Gemini `usageMetadata` (Gemini API and Vertex AI). `promptTokenCount` INCLUDES
 * `cachedContentTokenCount`; `thoughtsTokenCount` is billed as output but is NOT part of
 * `candidatesTokenCount`; `toolUsePromptTokenCount` is extra input (tool results fed back).
 * https://ai.google.dev/api/generate-content#UsageMetadata
 */
export const geminiUsageSchema = z.object({
  promptTokenCount: rawTokenCount,
  cachedContentTokenCount: rawTokenCount,
  candidatesTokenCount: rawTokenCount,
  thoughtsTokenCount: rawTokenCount,
  toolUsePromptTokenCount: rawTokenCount,
  totalTokenCount: rawTokenCount,
});

/** Gemini usage metadata as `generateContent` returns it. */
export type GeminiUsage = z.infer<typeof geminiUsageSchema>;

/**
 * Converts Gemini usage: input = prompt + tool-use prompt − cached content;
 * output = candidates + thoughts; reasoning = thoughts.
 */
export function convertGeminiUsage(raw: unknown): UsageConversionResult {
  const usage = parseRawUsage('google', geminiUsageSchema, raw, 'usageMetadata');
  const warnings: string[] = [];
  if (
    usage.promptTokenCount == null &&
    usage.candidatesTokenCount == null &&
    usage.thoughtsTokenCount == null
  ) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message:
        'google usage: no token counts found (expected promptTokenCount/candidatesTokenCount)',
    });
  }
  const cached = count(usage.cachedContentTokenCount);
  const input = subtractClamped(
    count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount),
    cached,
    {
      total: 'promptTokenCount + toolUsePromptTokenCount',
      part: 'cachedContentTokenCount',
      result: 'input_tokens',
    },
    warnings,
  );
  const thoughts = count(usage.thoughtsTokenCount);
  return {
    usage: compactUsage({
      input_tokens: input,
      cache_read_tokens: cached,
      output_tokens: count(usage.candidatesTokenCount) + thoughts,
      reasoning_tokens: thoughts,
    }),
    warnings,
  };
}

/** Registry entry for Gemini / Vertex AI usage metadata. */
export const geminiUsageConverter: UsageConverterV1 = {
  specificationVersion: 'v1',
  format: 'google',
  description: 'Gemini API / Vertex AI `usageMetadata` of generateContent',
  convert: convertGeminiUsage,
};
