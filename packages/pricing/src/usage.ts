import { z } from 'zod';

/** Keys that count towards the prompt size when a tier threshold ("above 200k") is tested. */
export const PROMPT_TOKEN_KEYS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
] as const;

/** Token keys that are billed: the prompt's and the output; `reasoning_tokens` is informational only. */
export const BILLED_TOKEN_KEYS = [...PROMPT_TOKEN_KEYS, 'output_tokens'] as const;

export type BilledTokenKey = (typeof BILLED_TOKEN_KEYS)[number];

/**
 * The canonical usage vocabulary. The token buckets never overlap, so the cost of a call
 * is the sum of quantity × unit price over the keys, and nothing is counted twice.
 *
 * - `input_tokens`: input billed at the standard input rate; excludes cache reads and writes.
 * - `cache_read_tokens`: input served from the provider's prompt cache.
 * - `cache_write_tokens`: input written to the cache (Anthropic's 5-minute writes).
 * - `cache_write_1h_tokens`: input written to the 1-hour cache.
 * - `output_tokens`: all output, reasoning included.
 * - `reasoning_tokens`: informational subset of `output_tokens`; never billed on top.
 * - `units`: other billable units (`web_search_requests`, `images`, …), priced only when a
 *   price card prices them.
 */
export const TOKEN_KEYS = [...BILLED_TOKEN_KEYS, 'reasoning_tokens'] as const;

export type TokenKey = (typeof TOKEN_KEYS)[number];

const tokenCount = z.number().int().nonnegative().max(1e12);

/** Canonical usage of one call. Absent keys mean zero. */
export const usageSchema = z
  .object({
    input_tokens: tokenCount.optional(),
    cache_read_tokens: tokenCount.optional(),
    cache_write_tokens: tokenCount.optional(),
    cache_write_1h_tokens: tokenCount.optional(),
    output_tokens: tokenCount.optional(),
    reasoning_tokens: tokenCount.optional(),
    units: z.record(z.string().min(1), z.number().nonnegative().finite().max(1e12)).optional(),
  })
  .strict();

export type Usage = z.infer<typeof usageSchema>;

/** Number of prompt tokens of a call: input + cache reads + cache writes (both TTLs). */
export function promptTokens(usage: Usage): number {
  return PROMPT_TOKEN_KEYS.reduce((sum, key) => sum + (usage[key] ?? 0), 0);
}
