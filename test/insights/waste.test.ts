// What unit tests cannot catch: the waste report's SQL on real Postgres (aggregates, window
// functions, percentiles, budget and virtual-key joins) over stored usage, priced through the
// seeded default catalog and the committed policy data's downgrade chains, asked through
// GraphQL with a viewer key. Every finding below has its amounts worked out by hand from the
// default catalog's list prices; the usage next to each must not be flagged.
import { startPurser, type RunningPurser } from '../support/purser';
import { type Finding, RANGE, seedWaste, WASTE } from './waste-seed';

type Json = Record<string, unknown>;

describe('wasteReport', () => {
  let service: RunningPurser;
  let viewer: string;
  let prodKey: string;

  const graphql = async (query: string, variables: Json, token?: string) => {
    const answer = await service.graphql<Json>(query, variables, token);
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return answer.data!;
  };
  const report = async (variables: Json = RANGE) =>
    (await graphql(WASTE, variables, viewer)).wasteReport as Finding[];

  beforeAll(async () => {
    service = await startPurser();
    viewer = await service.keyFor('viewer');
    prodKey = await seedWaste(service);
  });
  afterAll(() => service?.stop());

  it('should answer each seeded finding with its hand-computed amounts, most dollars first', async () => {
    const findings = await report();
    expect(
      findings.map(({ category, scope, spend, recoverable, currency }) => ({
        category,
        scope,
        spend,
        recoverable,
        currency,
      })),
    ).toEqual([
      {
        category: 'CONTEXT_BLOAT',
        scope: {
          feature: 'contract-review',
          team: 'search',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
        },
        spend: '0.66',
        recoverable: '0.513',
        currency: 'USD',
      },
      {
        category: 'MODEL_MISMATCH',
        scope: { feature: 'intent-router', team: 'search', provider: 'openai', model: 'gpt-4o' },
        spend: '0.0618',
        recoverable: '0.058092',
        currency: 'USD',
      },
      {
        category: 'MODEL_MISMATCH',
        scope: { feature: 'ticket-classify', team: 'search', provider: 'openai', model: 'gpt-4o' },
        spend: '0.052',
        recoverable: '0.04888',
        currency: 'USD',
      },
      {
        category: 'UNGOVERNED_KEY',
        scope: { agent: 'crawler', team: 'search' },
        spend: '0.01425',
        recoverable: '0.00675',
        currency: 'USD',
      },
      {
        category: 'CACHE_MISS',
        scope: {
          feature: 'docs-qa',
          team: 'search',
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
        },
        spend: '0.0066',
        recoverable: '0.00125',
        currency: 'USD',
      },
      {
        category: 'RETRY_WASTE',
        scope: { feature: 'agent-chat', team: 'search', provider: 'openai', model: 'gpt-4o-mini' },
        spend: '0.00108',
        recoverable: '0.00045',
        currency: 'USD',
      },
      {
        category: 'UNGOVERNED_KEY',
        scope: { team: 'ads', feature: 'banner-gen' },
        spend: '0.0015',
        recoverable: '0',
        currency: 'USD',
      },
      {
        category: 'UNGOVERNED_KEY',
        scope: { virtual_key: prodKey, environment: 'staging', team: 'search' },
        spend: '0.0012',
        recoverable: '0',
        currency: 'USD',
      },
    ]);
    for (const finding of findings) {
      expect(finding.estimate.length).toBeGreaterThan(10);
      expect(finding.fix?.length).toBeGreaterThan(10);
    }
  });

  it('should carry the evidence of each finding: counts, ratios, example events', async () => {
    const byCategory = new Map(
      (await report()).map((finding) => [
        `${finding.category} ${finding.scope.feature ?? finding.scope.agent ?? finding.scope.environment}`,
        finding,
      ]),
    );
    const mismatch = byCategory.get('MODEL_MISMATCH ticket-classify')!;
    expect(mismatch.evidence).toMatchObject({
      calls: 20,
      shortOutputShare: '1',
      maxOutputTokens: 10,
      cheaperModel: 'gpt-4o-mini',
      cheaperCost: '0.00312',
      outputShareOfPrompt: '0.01',
      downgradeChain: ['gpt-4o', 'gpt-4o-mini'],
    });
    // The first and last stored of the group's calls (waste-1 … waste-20 in the seed).
    const classifyIds = Array.from({ length: 20 }, (_, index) => `waste-${index + 1}`);
    const examples = mismatch.evidence.exampleEventIds as string[];
    expect(examples).toHaveLength(2);
    expect(examples.filter((id) => classifyIds.includes(id))).toEqual(examples);
    expect(examples[0]).not.toBe(examples[1]);
    expect(mismatch.fix).toContain('["gpt-4o","gpt-4o-mini"]');
    // At the boundary: 18 of 20 short answers is a p90 of 10 tokens.
    expect(byCategory.get('MODEL_MISMATCH intent-router')!.evidence).toMatchObject({
      calls: 20,
      shortOutputShare: '0.9',
      maxOutputTokens: 500,
    });
    expect(byCategory.get('CONTEXT_BLOAT contract-review')!.evidence).toMatchObject({
      calls: 20,
      minInputTokens: 10000,
      maxInputTokens: 10000,
      averageInputTokens: '10000',
      cacheReadTokens: 0,
    });
    expect(byCategory.get('RETRY_WASTE agent-chat')!.evidence).toMatchObject({
      calls: 6,
      failedCalls: 3,
      failedCost: '0.00045',
      retriedCalls: 3,
      retriedCost: '0.00063',
      retries: 3,
      sessionChains: 3,
      failureRatio: '0.5',
      errorTypes: ['timeout'],
    });
    expect(byCategory.get('CACHE_MISS docs-qa')!.evidence).toMatchObject({
      writeCalls: 2,
      unreadWriteCalls: 1,
      unreadCacheWriteTokens: 5000,
      cacheReadTokens: 5000,
      cacheWriteTokens: 10000,
      hitRatio: '0.3333',
      exampleEventIds: [expect.any(String)],
    });
    expect(byCategory.get('UNGOVERNED_KEY crawler')!.evidence).toMatchObject({
      kind: 'agent_without_run_cap',
      runs: 10,
      calls: 19,
      suggestedRunCap: '0.00075',
      largestRun: '0.0075',
    });
    expect((byCategory.get('UNGOVERNED_KEY crawler')!.evidence.exampleRuns as string[])[0]).toBe(
      'crawl-9',
    );
    expect(byCategory.get('UNGOVERNED_KEY staging')!.evidence).toMatchObject({
      kind: 'environment_on_production_key',
      keyName: 'checkout prod',
      calls: 4,
    });
    expect(byCategory.get('UNGOVERNED_KEY banner-gen')!.evidence).toMatchObject({
      kind: 'no_budget',
      calls: 2,
    });
  });

  it('should answer only the range asked and at most limit findings', async () => {
    // 08:00–09:05: the third retry and everything after it are outside, and so are the
    // cache, key and agent usage (09:30 on).
    const morning = await report({ from: '2026-11-10T08:00:00Z', to: '2026-11-10T09:05:00Z' });
    expect(
      morning.map(({ category, spend, recoverable }) => ({ category, spend, recoverable })),
    ).toEqual([
      { category: 'CONTEXT_BLOAT', spend: '0.66', recoverable: '0.513' },
      { category: 'MODEL_MISMATCH', spend: '0.0618', recoverable: '0.058092' },
      { category: 'MODEL_MISMATCH', spend: '0.052', recoverable: '0.04888' },
      // Three failures (0.00045), two of them retried in the range (2 × 0.00021).
      { category: 'RETRY_WASTE', spend: '0.00087', recoverable: '0.00045' },
    ]);
    expect((await report({ ...RANGE, limit: 2 })).map((finding) => finding.recoverable)).toEqual([
      '0.513',
      '0.058092',
    ]);
    expect(await report({ from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' })).toEqual([]);
  });

  it('should refuse bad ranges with a named error and keys without usage.read', async () => {
    const answer = async (variables: Json, token: string = viewer) =>
      (await service.graphql(WASTE, variables, token)).errors?.[0];
    expect(await answer({ from: RANGE.to, to: RANGE.from })).toMatchObject({
      message: 'to: must be later than from',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(
      await answer({ from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }),
    ).toMatchObject({
      message: expect.stringMatching(/^to: a waste report covers at most 93 days \(asked 151\)/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await answer({ ...RANGE, limit: 0 })).toMatchObject({
      message: expect.stringMatching(/^limit: /),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await answer(RANGE, await service.keyFor('gateway'))).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('should stop flagging an agent once runs are capped by a velocity limit per session', async () => {
    // A limit on requests caps no spend: the agent is still flagged.
    await graphql(
      `
        mutation {
          createVelocityLimit(
            input: {
              name: "calls per run"
              scope: "session"
              metric: REQUESTS
              limit: "1000"
              windowSeconds: 3600
            }
          ) {
            id
          }
        }
      `,
      {},
    );
    expect((await report()).filter((finding) => finding.scope.agent === 'crawler')).toHaveLength(1);
    await graphql(
      `
        mutation {
          createVelocityLimit(
            input: {
              name: "per run"
              scope: "session"
              metric: COST
              limit: "0.01"
              windowSeconds: 3600
            }
          ) {
            id
          }
        }
      `,
      {},
    );
    const findings = await report();
    expect(findings.filter((finding) => finding.scope.agent === 'crawler')).toEqual([]);
    expect(findings).toHaveLength(7);
  });

  it('should count spend under an organization-wide budget as governed', async () => {
    const kinds = async () =>
      (await report()).map((finding) => finding.evidence.kind ?? finding.category);
    expect(await kinds()).toContain('no_budget');
    await graphql(
      `
        mutation ($input: CreateBudgetInput!) {
          createBudget(input: $input) {
            id
          }
        }
      `,
      { input: { name: 'org', period: 'TOTAL', limit: '1000000', mode: 'ALERT_ONLY' } },
    );
    expect(await kinds()).toEqual([
      'CONTEXT_BLOAT',
      'MODEL_MISMATCH',
      'MODEL_MISMATCH',
      'CACHE_MISS',
      'RETRY_WASTE',
      'environment_on_production_key',
    ]);
  });
});
