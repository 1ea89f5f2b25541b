/** The provider fixtures of `fixtures/` (read as files: test/ compiles no JSON modules). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8'));

/** OpenAI Costs API, one page (2026-07-01 and 2026-07-02). A fresh copy each call. */
export const openaiCosts = (): unknown => read('openai-costs.json');
/** Anthropic Admin cost report, one page (same days). A fresh copy each call. */
export const anthropicCosts = (): unknown => read('anthropic-cost-report.json');
