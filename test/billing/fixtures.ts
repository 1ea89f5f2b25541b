/** The provider fixtures of `fixtures/` (read as files: test/ compiles no JSON modules). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { upsertPrice } from '../support/decisions';
import type { RunningPurser } from '../support/purser';
import type { Recorded } from './replay';

const read = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8'));

/** OpenAI Costs API, one page (2026-07-01 and 2026-07-02). A fresh copy each call. */
export const openaiCosts = (): unknown => read('openai-costs.json');
/** Anthropic Admin cost report, one page (same days). A fresh copy each call. */
export const anthropicCosts = (): unknown => read('anthropic-cost-report.json');

/** What the OpenAI Costs API answers: the fixture page, and an empty page for a `page` cursor. */
export const openaiCostsAnswer = (request: Recorded) =>
  request.query.has('page')
    ? { body: { object: 'page', data: [], has_more: false, next_page: null } }
    : { body: openaiCosts() };

/**
 * Prices the OpenAI fixtures' models at their list prices (the fixtures' README) from
 * 2026-06-01: the default catalog's prices take effect after the fixtures' days.
 */
export async function priceOpenaiFixtureModels(service: RunningPurser): Promise<void> {
  for (const [model, input, cached, output] of [
    ['gpt-4.1', '2', '0.5', '8'],
    ['gpt-4.1-mini', '0.4', '0.1', '1.6'],
  ] as const) {
    await upsertPrice(service, {
      model,
      effectiveFrom: '2026-06-01T00:00:00Z',
      prices: { inputTokens: input, cacheReadTokens: cached, outputTokens: output },
    });
  }
}
