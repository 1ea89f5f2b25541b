import { z } from 'zod';

import { AdapterError } from './errors';
import type { UsageConversionResult, UsageConverterV1 } from './usage-converter';
import { compactUsage, count, parseRawUsage, rawTokenCount } from './usage-math';

/**
 * Anthropic Messages `usage` (also returned by Bedrock and Vertex for Claude). Unlike OpenAI,
 * `input_tokens` EXCLUDES cache reads and cache writes; `cache_creation` splits writes by TTL
 * and is absent from older responses and SDKs.
 * https://docs.anthropic.com/en/api/messages#response-usage
 */
export const anthropicUsageSchema = z.object({
  input_tokens: rawTokenCount,
  output_tokens: rawTokenCount,
  cache_read_input_tokens: rawTokenCount,
  cache_creation_input_tokens: rawTokenCount,
  cache_creation: z
    .object({
      ephemeral_5m_input_tokens: rawTokenCount,
      ephemeral_1h_input_tokens: rawTokenCount,
    })
    .nullish(),
  server_tool_use: z.object({ web_search_requests: rawTokenCount }).nullish(),
  service_tier: z.string().nullish(),
});

/** Anthropic usage as the Messages API returns it. */
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/**
 * Converts Anthropic usage. `input_tokens` passes through unchanged (it already excludes the
 * cache); writes are split by TTL when `cache_creation` says so and are otherwise all
 * 5-minute writes, the API's default TTL; web searches become `units.web_search_requests`.
 */
export function convertAnthropicUsage(raw: unknown): UsageConversionResult {
  const usage = parseRawUsage('anthropic', anthropicUsageSchema, raw, 'usage');
  const warnings: string[] = [];
  if (usage.input_tokens == null && usage.output_tokens == null) {
    throw new AdapterError({
      code: 'INVALID_PROVIDER_USAGE',
      message: 'anthropic usage: no token counts found (expected input_tokens/output_tokens)',
    });
  }

  const totalWrites = count(usage.cache_creation_input_tokens);
  let writes5m = totalWrites;
  let writes1h = 0;
  if (usage.cache_creation != null) {
    const split5m = count(usage.cache_creation.ephemeral_5m_input_tokens);
    const split1h = count(usage.cache_creation.ephemeral_1h_input_tokens);
    writes5m = split5m;
    writes1h = split1h;
    const splitTotal = split5m + split1h;
    if (usage.cache_creation_input_tokens != null && splitTotal !== totalWrites) {
      if (splitTotal < totalWrites) {
        // Unsplit writes are billed at the default (5-minute) rate; never drop them.
        writes5m += totalWrites - splitTotal;
        warnings.push(
          `cache_creation split (${splitTotal}) is less than cache_creation_input_tokens ` +
            `(${totalWrites}); the remainder is counted as 5-minute writes`,
        );
      } else {
        warnings.push(
          `cache_creation split (${splitTotal}) exceeds cache_creation_input_tokens ` +
            `(${totalWrites}); the split is used`,
        );
      }
    }
  }

  return {
    usage: compactUsage({
      input_tokens: count(usage.input_tokens),
      cache_read_tokens: count(usage.cache_read_input_tokens),
      cache_write_tokens: writes5m,
      cache_write_1h_tokens: writes1h,
      output_tokens: count(usage.output_tokens),
      units: { web_search_requests: count(usage.server_tool_use?.web_search_requests) },
    }),
    warnings,
  };
}

/** Registry entry for Anthropic Messages usage. */
export const anthropicUsageConverter: UsageConverterV1 = {
  specificationVersion: 'v1',
  format: 'anthropic',
  description: 'Anthropic Messages API `usage` (also Claude on Bedrock InvokeModel and Vertex)',
  convert: convertAnthropicUsage,
};
