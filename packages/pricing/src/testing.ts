import { type PriceCard, type PriceCardInput, priceCardSchema } from './price-card';

/**
 * Builds a valid price card for tests: `openai/test-model` at $1 input / $2 output per 1M
 * tokens, in force from 2026-01-01. Overrides replace top-level fields; the result is
 * validated with the real schema, so a test cannot build a card production would reject.
 */
export function testPriceCard(overrides: Partial<PriceCardInput> = {}): PriceCard {
  const provider = overrides.provider ?? 'openai';
  const model = overrides.model ?? 'test-model';
  const effectiveFrom = overrides.effective_from ?? '2026-01-01T00:00:00Z';
  return priceCardSchema.parse({
    id: `${provider}/${model}@${effectiveFrom.slice(0, 10)}`,
    provider,
    model,
    effective_from: effectiveFrom,
    prices: { input_tokens: '1', output_tokens: '2' },
    source: { name: 'test', retrieved_at: '2026-01-01' },
    ...overrides,
  });
}
