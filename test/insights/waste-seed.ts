// The usage of test/insights/waste.test.ts: each waste finding with amounts worked out by
// hand from the default catalog's list prices, and usage next to each that must not be flagged.
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsage, type RunningPurser } from '../support/purser';

type Json = Record<string, unknown>;
export interface Finding {
  category: string;
  scope: Record<string, string>;
  spend: string;
  recoverable: string;
  currency: string;
  estimate: string;
  evidence: Json;
  fix: string | null;
}

export const WASTE = `query($from: DateTime!, $to: DateTime!, $limit: Int) {
  wasteReport(from: $from, to: $to, limit: $limit) {
    category scope spend recoverable currency estimate evidence fix
  }
}`;
export const RANGE = { from: '2026-11-10T00:00:00Z', to: '2026-11-17T00:00:00Z' };

let sequence = 0;
/** One call, `minutes` after 2026-11-10T08:00Z. */
function call(
  minutes: number,
  provider: string,
  model: string,
  usage: Json,
  attribution: Json,
  outcome: Json = {},
): Json {
  sequence += 1;
  return makeUsageEvent({
    id: `waste-${sequence}`,
    timestamp: new Date(Date.parse('2026-11-10T08:00:00Z') + minutes * 60_000).toISOString(),
    provider,
    model,
    usage,
    attribution: { environment: 'production', ...attribution },
    ...outcome,
  });
}
const times = <T>(count: number, make: (index: number) => T) =>
  Array.from({ length: count }, (_, index) => make(index));

/**
 * Seeds budgets (team search, agent planner), a production virtual key and the usage; answers
 * the key's id.
 */
export async function seedWaste(service: RunningPurser): Promise<string> {
  const graphql = async (query: string, variables: Json) => {
    const answer = await service.graphql<Json>(query, variables);
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return answer.data!;
  };
  const gateway = await service.keyFor('gateway');
  const budget = `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }`;
  for (const scope of [{ team: 'search' }, { agent: 'planner' }]) {
    const input = { name: JSON.stringify(scope), scope, period: 'TOTAL', limit: '1000000' };
    await graphql(budget, { input: { ...input, mode: 'ALERT_ONLY' } });
  }
  const key = await graphql(
    `
      mutation ($input: CreateVirtualKeyInput!) {
        createVirtualKey(input: $input) {
          id
        }
      }
    `,
    { input: { name: 'checkout prod', attribution: { environment: 'production' } } },
  );
  const prodKey = (key.createVirtualKey as { id: string }).id;
  const search = { team: 'search' };
  const events = [
    // MODEL_MISMATCH: gpt-4o answering 10 tokens to 1,000 (20 calls). gpt-4o: 2.5 in, 10
    // out per 1M → 0.0026 a call, 0.052; on gpt-4o-mini (0.15, 0.6): 0.000156, 0.00312.
    ...times(20, (i) =>
      call(
        i,
        'openai',
        'gpt-4o',
        { input_tokens: 1000, output_tokens: 10 },
        { ...search, feature: 'ticket-classify' },
      ),
    ),
    // Not flagged: long answers on gpt-4o.
    ...times(20, (i) =>
      call(
        i,
        'openai',
        'gpt-4o',
        { input_tokens: 1000, output_tokens: 800 },
        { ...search, feature: 'essay-writer' },
      ),
    ),
    // CONTEXT_BLOAT: 20 × the same 10,000-token input, no cache read, on claude-sonnet-4-5
    // (3 in, 0.3 cache read, 15 out): 20 × 0.033 = 0.66; 19 × 10,000 × 2.7 / 1M = 0.513.
    ...times(20, (i) =>
      call(
        30 + i,
        'anthropic',
        'claude-sonnet-4-5',
        { input_tokens: 10_000, output_tokens: 200 },
        { ...search, feature: 'contract-review' },
      ),
    ),
    // Not flagged: large inputs that vary (2,000 … 40,000 tokens).
    ...times(20, (i) =>
      call(
        30 + i,
        'anthropic',
        'claude-sonnet-4-5',
        { input_tokens: 2000 * (i + 1), output_tokens: 200 },
        { ...search, feature: 'doc-summary' },
      ),
    ),
    // RETRY_WASTE: three sessions, each a failed call (1,000 in on gpt-4o-mini: 0.00015)
    // then its retry (1,000 in, 100 out: 0.00021): recoverable 0.00045, spend 0.00108.
    ...times(3, (i) => [
      call(
        60 + i * 2,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000 },
        { ...search, feature: 'agent-chat', session: `chat-${i}` },
        { status: 'error', error_type: 'timeout' },
      ),
      call(
        61 + i * 2,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000, output_tokens: 100 },
        { ...search, feature: 'agent-chat', session: `chat-${i}` },
        { retry_count: 1 },
      ),
    ]).flat(),
    // Not flagged: a failure outside the range.
    call(
      60 * 24 * 8,
      'openai',
      'gpt-4o-mini',
      { input_tokens: 1000 },
      { ...search, feature: 'agent-chat' },
      { status: 'error' },
    ),
    // CACHE_MISS on claude-haiku-4-5 (1 in, 1.25 5-minute write, 5 out): session s-unread
    // writes 5,000 tokens nobody reads (0.0001 + 0.00625 + 0.00025 = 0.0066; premium
    // 5,000 × 0.25 / 1M = 0.00125); session s-read reads its write back a minute later.
    call(
      90,
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 100, cache_write_tokens: 5000, output_tokens: 50 },
      { ...search, feature: 'docs-qa', session: 's-unread' },
    ),
    call(
      91,
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 100, cache_write_tokens: 5000, output_tokens: 50 },
      { ...search, feature: 'docs-qa', session: 's-read' },
    ),
    call(
      92,
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 100, cache_read_tokens: 5000, output_tokens: 50 },
      { ...search, feature: 'docs-qa', session: 's-read' },
    ),
    // Not flagged: a feature whose writes are read back.
    call(
      93,
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 100, cache_write_tokens: 5000, output_tokens: 50 },
      { ...search, feature: 'faq-bot', session: 'faq-1' },
    ),
    call(
      94,
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 100, cache_read_tokens: 5000, output_tokens: 50 },
      { ...search, feature: 'faq-bot', session: 'faq-1' },
    ),
    // UNGOVERNED_KEY, no budget: team ads is under none (2 × 0.00075 = 0.0015).
    ...times(2, (i) =>
      call(
        100 + i,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000, output_tokens: 1000 },
        { team: 'ads', feature: 'banner-gen' },
      ),
    ),
    // UNGOVERNED_KEY, staging on the production virtual key: 4 × 0.0003 = 0.0012.
    ...times(4, (i) =>
      call(
        110 + i,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 2000 },
        { ...search, feature: 'search-tuning', environment: 'staging', virtual_key: prodKey },
      ),
    ),
    // Not flagged: production usage on it.
    call(
      115,
      'openai',
      'gpt-4o-mini',
      { input_tokens: 2000 },
      { ...search, feature: 'search-tuning', virtual_key: prodKey },
    ),
    // UNGOVERNED_KEY, an agent without a per-run cap: nine runs of one call (0.00075) and
    // one of ten (0.0075). The p90 run costs 0.00075: 0.0075 − 0.00075 = 0.00675 above it.
    ...times(9, (i) =>
      call(
        120 + i,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000, output_tokens: 1000 },
        { ...search, feature: 'crawl', agent: 'crawler', session: `crawl-${i}` },
      ),
    ),
    ...times(10, (i) =>
      call(
        130 + i,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000, output_tokens: 1000 },
        { ...search, feature: 'crawl', agent: 'crawler', session: 'crawl-9' },
      ),
    ),
    // Not flagged: the planner agent has a budget of its own.
    ...times(4, (i) =>
      call(
        140 + i,
        'openai',
        'gpt-4o-mini',
        { input_tokens: 1000, output_tokens: 1000 },
        { ...search, feature: 'plan', agent: 'planner', session: i < 3 ? `plan-${i}` : 'plan-2' },
      ),
    ),
    // MODEL_MISMATCH at the p90 boundary: 18 of 20 answers short (10 tokens), 2 long (500):
    // 90 % short, flagged. gpt-4o: 18 × 0.0026 + 2 × 0.0075 = 0.0618; on gpt-4o-mini:
    // 18 × 0.000156 + 2 × 0.00045 = 0.003708; recoverable 0.058092.
    ...times(20, (i) =>
      call(
        i,
        'openai',
        'gpt-4o',
        { input_tokens: 1000, output_tokens: i < 18 ? 10 : 500 },
        { ...search, feature: 'intent-router' },
      ),
    ),
    // Not flagged: 17 of 20 short is 85 %, under the 90 % of a p90.
    ...times(20, (i) =>
      call(
        i,
        'openai',
        'gpt-4o',
        { input_tokens: 1000, output_tokens: i < 17 ? 10 : 500 },
        { ...search, feature: 'sentiment' },
      ),
    ),
  ];
  const { accepted } = await postUsage(service, gateway, events);
  if (accepted !== events.length) throw new Error(`seeded ${String(accepted)} of ${events.length}`);
  return prodKey;
}
