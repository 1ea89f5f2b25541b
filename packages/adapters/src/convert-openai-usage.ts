import { z } from 'zod';

import { AdapterError } from './errors';
import type { UsageConversionResult, UsageConverterV1 } from './usage-converter';
import { compactUsage, count, parseRawUsage, rawTokenCount, subtractClamped } from './usage-math';

/**
 * OpenAI usage, both APIs in one lenient schema (unknown fields are ignored):
 * - Chat Completions: `prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens`, and
 *   `completion_tokens` includes `completion_tokens_details.reasoning_tokens`.
 *   https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
 * - Responses: `input_tokens` INCLUDES `input_tokens_details.cached_tokens` (and the newer
 *   `cache_write_tokens`); `output_tokens` includes `output_tokens_details.reasoning_tokens`.
 *   https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
 * OpenAI-compatible providers reuse the shape; DeepSeek reports its cache hits as
 * `prompt_cache_hit_tokens` instead of `prompt_tokens_details.cached_tokens`.
 */
export const openaiUsageSchema = z.object({
  // Chat Completions
  prompt_tokens: rawTokenCount,
  completion_tokens: rawTokenCount,
  prompt_tokens_details: z
    .object({
      cached_tokens: rawTokenCount,
      cache_write_tokens: rawTokenCount,
      audio_tokens: rawTokenCount,
    })
    .nullish(),
  completion_tokens_details: z
    .object({
      reasoning_tokens: rawTokenCount,
      audio_tokens: rawTokenCount,
      accepted_prediction_tokens: rawTokenCount,
      rejected_prediction_tokens: rawTokenCount,
    })
    .nullish(),
  prompt_cache_hit_tokens: rawTokenCount,
  // Responses API
  input_tokens: rawTokenCount,
  output_tokens: rawTokenCount,
  input_tokens_details: z
    .object({ cached_tokens: rawTokenCount, cache_write_tokens: rawTokenCount })
    .nullish(),
  output_tokens_details: z.object({ reasoning_tokens: rawTokenCount }).nullish(),
  total_tokens: rawTokenCount,
});

/** OpenAI usage as the API returns it (Chat Completions or Responses). */
export type OpenAIUsage = z.infer<typeof openaiUsageSchema>;

/**
 * Converts OpenAI usage. Canonical `input_tokens` = prompt − cache reads − cache writes −
 * input audio. Audio tokens are priced apart from text, so they move to
 * `units.input_audio_tokens` / `units.output_audio_tokens` (out of `output_tokens` too),
 * which keeps every bucket non-overlapping and makes an audio call unpriced rather than
 * billed at the text rate when a card lacks audio prices.
 */
export function convertOpenAIUsage(raw: unknown): UsageConversionResult {
  const usage = parseRawUsage('openai', openaiUsageSchema, raw, 'usage');
  const warnings: string[] = [];
  const isChat = usage.prompt_tokens != null || usage.completion_tokens != null;
  const isResponses = usage.input_tokens != null || usage.output_tokens != null;
  if (!isChat && !isResponses) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message:
        'openai usage: no token counts found (expected prompt_tokens/completion_tokens or ' +
        'input_tokens/output_tokens)',
    });
  }
  if (isChat && isResponses) {
    warnings.push(
      'openai usage has both Chat Completions and Responses fields; read prompt_tokens/completion_tokens',
    );
  }

  let prompt: number;
  let cacheRead: number;
  let cacheWrite: number;
  let audioIn = 0;
  let audioOut = 0;
  let completion: number;
  let reasoning: number;
  let promptLabel: string;
  if (isChat) {
    promptLabel = 'prompt_tokens';
    prompt = count(usage.prompt_tokens);
    const details = usage.prompt_tokens_details;
    cacheRead = count(details?.cached_tokens ?? usage.prompt_cache_hit_tokens);
    cacheWrite = count(details?.cache_write_tokens);
    audioIn = count(details?.audio_tokens);
    completion = count(usage.completion_tokens);
    reasoning = count(usage.completion_tokens_details?.reasoning_tokens);
    audioOut = count(usage.completion_tokens_details?.audio_tokens);
  } else {
    promptLabel = 'input_tokens';
    prompt = count(usage.input_tokens);
    cacheRead = count(usage.input_tokens_details?.cached_tokens);
    cacheWrite = count(usage.input_tokens_details?.cache_write_tokens);
    completion = count(usage.output_tokens);
    reasoning = count(usage.output_tokens_details?.reasoning_tokens);
  }

  const input = subtractClamped(
    prompt,
    cacheRead + cacheWrite + audioIn,
    {
      total: promptLabel,
      part: 'cached + cache-write + audio input tokens',
      result: 'input_tokens',
    },
    warnings,
  );
  const output = subtractClamped(
    completion,
    audioOut,
    {
      total: isChat ? 'completion_tokens' : 'output_tokens',
      part: 'audio output tokens',
      result: 'output_tokens',
    },
    warnings,
  );
  if (reasoning > completion) {
    warnings.push(
      `reasoning_tokens (${reasoning}) exceeds the output (${completion}) that includes it; ` +
        'reasoning_tokens capped at the output',
    );
    reasoning = completion;
  }
  return {
    usage: compactUsage({
      input_tokens: input,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      output_tokens: output,
      reasoning_tokens: reasoning,
      units: { input_audio_tokens: audioIn, output_audio_tokens: audioOut },
    }),
    warnings,
  };
}

/** Registry entry for OpenAI and OpenAI-compatible usage (Azure OpenAI, Mistral, xAI…). */
export const openaiUsageConverter: UsageConverterV1 = {
  specificationVersion: 'v1',
  format: 'openai',
  description: 'OpenAI Chat Completions or Responses API `usage` (and OpenAI-compatible APIs)',
  convert: convertOpenAIUsage,
};
