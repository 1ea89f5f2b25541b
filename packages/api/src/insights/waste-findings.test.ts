import { createDefaultPricingCatalog, createPricingCatalog } from '@purser/pricing';
import {
  cacheMissFindings,
  contextBloatFindings,
  crossEnvironmentFindings,
  type FindingContext,
  modelMismatchFindings,
  retryFindings,
  uncappedAgentFindings,
  unbudgetedFindings,
} from './waste-findings';

const context: FindingContext = {
  catalog: createDefaultPricingCatalog(),
  chains: [['gpt-4o', 'gpt-4o-mini']],
  currency: 'USD',
};
const LAST = new Date('2026-11-20T10:00:00Z');

/** 20 gpt-4o calls of 1,000 tokens in and 10 out: 0.052 (see test/insights/waste.test.ts). */
const shortRow = {
  provider: 'openai',
  model: 'gpt-4o',
  feature: 'classify',
  team: 'search',
  batch: false,
  calls: 20,
  short_calls: 20,
  max_output: '10',
  input_tokens: '20000',
  cache_read_tokens: '0',
  cache_write_tokens: '0',
  cache_write_1h_tokens: '0',
  output_tokens: '200',
  cost: '0.052',
  last_at: LAST,
  examples: ['e1', 'e2', 'e3'],
};

describe('modelMismatchFindings', () => {
  it('should price the usage on the next model of the chain and subtract it from the cost', () => {
    const [finding] = modelMismatchFindings([shortRow], context);
    expect(finding).toMatchObject({
      category: 'MODEL_MISMATCH',
      scope: { feature: 'classify', team: 'search', provider: 'openai', model: 'gpt-4o' },
      spend: '0.052',
      recoverable: '0.04888',
      evidence: {
        cheaperModel: 'gpt-4o-mini',
        cheaperCost: '0.00312',
        shortOutputShare: '1',
        maxOutputTokens: 10,
      },
    });
    expect(finding!.fix).toContain('["gpt-4o","gpt-4o-mini"]');
  });

  it('should use batch prices for batch calls', () => {
    // gpt-4o-mini batch: 0.075 in, 0.3 out → 0.0015 + 0.00006.
    const [finding] = modelMismatchFindings([{ ...shortRow, batch: true }], context);
    expect(finding).toMatchObject({ recoverable: '0.05044', evidence: { batch: true } });
  });

  it('should find nothing without a cheaper model in a chain, or when it would not be cheaper', () => {
    expect(modelMismatchFindings([shortRow], { ...context, chains: [] })).toEqual([]);
    expect(modelMismatchFindings([{ ...shortRow, model: 'gpt-4o-mini' }], context)).toEqual([]);
    const reversed = { ...context, chains: [['gpt-4o-mini', 'gpt-4o']] };
    expect(
      modelMismatchFindings([{ ...shortRow, model: 'gpt-4o-mini', cost: '0.00312' }], reversed),
    ).toEqual([]);
    expect(modelMismatchFindings([shortRow], { ...context, currency: 'EUR' })).toEqual([]);
    expect(modelMismatchFindings([{ ...shortRow, model: 'no-such-model' }], context)).toEqual([]);
  });
});

describe('contextBloatFindings', () => {
  const row = {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    feature: 'review',
    team: null,
    calls: 20,
    min_input: '10000',
    max_input: '10400',
    avg_input: '10200.5',
    cost: '0.66',
    last_at: LAST.toISOString(),
    examples: ['e1'],
  };

  it('should price the repeated input at the cache-read rate', () => {
    const [finding] = contextBloatFindings([row], context);
    expect(finding).toMatchObject({
      category: 'CONTEXT_BLOAT',
      scope: { feature: 'review', provider: 'anthropic', model: 'claude-sonnet-4-5' },
      spend: '0.66',
      recoverable: '0.513',
      evidence: { calls: 20, averageInputTokens: '10200.5', maxInputTokens: 10400 },
    });
  });

  it('should find nothing for a model whose card has no cache-read rate, or no card', () => {
    const sonnet = context.catalog.match('anthropic', 'claude-sonnet-4-5', LAST)!.card;
    const noCache = { ...sonnet, prices: { input_tokens: '3', output_tokens: '15' } };
    const catalog = createPricingCatalog([noCache]);
    expect(contextBloatFindings([row], { ...context, catalog })).toEqual([]);
    expect(contextBloatFindings([{ ...row, model: 'no-such-model' }], context)).toEqual([]);
  });
});

describe('retryFindings', () => {
  it('should count failed calls as recoverable and retries as spend only', () => {
    const [finding] = retryFindings(
      [
        {
          provider: 'openai',
          model: 'gpt-4o-mini',
          feature: null,
          team: null,
          calls: 10,
          failed_calls: 3,
          failed_cost: '0.00045',
          retried_calls: 2,
          retried_cost: '0.00042',
          retries: '2',
          chains: 2,
          error_types: ['timeout', 'rate_limited'],
          examples: ['e1'],
        },
      ],
      context,
    );
    expect(finding).toMatchObject({
      scope: { provider: 'openai', model: 'gpt-4o-mini' },
      spend: '0.00087',
      recoverable: '0.00045',
      evidence: { failureRatio: '0.3', sessionChains: 2, errorTypes: ['timeout', 'rate_limited'] },
    });
    expect(finding!.fix).toContain('timeout, rate_limited');
  });
});

describe('cacheMissFindings', () => {
  const row = {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    feature: 'docs',
    team: 'search',
    write_calls: 2,
    unread_calls: 1,
    unread_5m: '5000',
    unread_1h: '1000',
    unread_cost: '0.0066',
    reads: '5000',
    writes: '11000',
    last_at: LAST,
    examples: ['e1'],
  };

  it('should estimate the write premium of unread writes per TTL', () => {
    // 5,000 × (1.25 − 1) + 1,000 × (2 − 1), per 1M.
    const [finding] = cacheMissFindings([row], context);
    expect(finding).toMatchObject({
      category: 'CACHE_MISS',
      spend: '0.0066',
      recoverable: '0.00225',
      evidence: { hitRatio: '0.3125', unreadCacheWrite1hTokens: 1000 },
    });
  });

  it('should find nothing when the card prices no cache writes', () => {
    expect(
      cacheMissFindings([{ ...row, provider: 'openai', model: 'gpt-4o-mini' }], context),
    ).toEqual([]);
  });
});

describe('ungoverned findings', () => {
  it('should answer spend under no budget with nothing recoverable and a budget to create', () => {
    const [finding] = unbudgetedFindings(
      [{ team: 'ads', feature: null, calls: 2, cost: '0.0015', environments: 1, examples: [] }],
      context,
    );
    expect(finding).toMatchObject({
      category: 'UNGOVERNED_KEY',
      scope: { team: 'ads' },
      spend: '0.0015',
      recoverable: '0',
      evidence: { kind: 'no_budget' },
    });
    expect(finding!.fix).toContain('{"team":"ads"}');
  });

  it('should answer non-production usage on a production key with a key per environment', () => {
    const [finding] = crossEnvironmentFindings(
      [
        {
          virtual_key: 'vk-1',
          key_name: 'prod',
          environment: 'staging',
          team: null,
          calls: 4,
          cost: '0.0012',
          examples: [],
        },
      ],
      context,
    );
    expect(finding).toMatchObject({
      scope: { virtual_key: 'vk-1', environment: 'staging' },
      recoverable: '0',
    });
    expect(finding!.fix).toContain('{"environment": "staging"}');
  });

  it('should answer an uncapped agent with the spend above the suggested cap', () => {
    const [finding] = uncappedAgentFindings(
      [
        {
          agent: 'crawler',
          team: null,
          runs: 10,
          calls: 19,
          cost: '0.01425',
          cap: '0.00075',
          max_run: '0.0075',
          above_cap: '0.00675',
          examples: ['crawl-9'],
        },
      ],
      context,
    );
    expect(finding).toMatchObject({
      scope: { agent: 'crawler' },
      spend: '0.01425',
      recoverable: '0.00675',
      evidence: { suggestedRunCap: '0.00075', exampleRuns: ['crawl-9'] },
    });
    expect(finding!.fix).toContain('limit 0.00075');
  });
});
