// What unit tests cannot catch: the pricing API over a real database — the default catalog
// seeded at start, versions written as immutable rows, history queryable, and estimates
// priced with the version in force at the asked instant.
import { startPurser, type RunningPurser } from '../support/purser';

const ESTIMATE = `query($provider: String!, $model: String!, $usage: UsageInput!, $at: DateTime) {
  estimateCost(provider: $provider, model: $model, usage: $usage, at: $at) {
    total currency priceCardId unpricedKeys breakdown { key quantity unitPrice amount }
  }
}`;

const UPSERT = `mutation($input: ModelPriceInput!) {
  upsertModelPrice(input: $input) { id version effectiveFrom effectiveTo prices { inputTokens outputTokens } }
}`;

const HISTORY = `query($provider: String, $model: String, $at: DateTime, $all: Boolean) {
  modelPrices(provider: $provider, model: $model, at: $at, includeSuperseded: $all) {
    id version effectiveFrom effectiveTo supersededAt prices { inputTokens outputTokens }
  }
}`;

type Estimate = {
  estimateCost: {
    total: string;
    currency: string;
    priceCardId: string | null;
    unpricedKeys: string[];
    breakdown: { key: string; amount: string; unitPrice: string }[];
  };
};

describe('pricing API', () => {
  let service: RunningPurser;
  beforeAll(async () => {
    service = await startPurser();
  });
  afterAll(() => service.stop());

  it('should price a cached Anthropic call from the default catalog to the last decimal', async () => {
    const result = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      usage: {
        inputTokens: 1000,
        outputTokens: 500,
        cacheReadTokens: 2000,
        cacheWriteTokens: 400,
        cacheWrite1hTokens: 100,
        reasoningTokens: 300,
      },
      at: '2026-11-01T00:00:00Z',
    });
    expect(result.errors).toBeUndefined();
    // 1000×3 + 500×15 + 2000×0.30 + 400×3.75 + 100×6 = 13,200 per 1M → $0.0132; reasoning is not billed on top.
    expect(result.data!.estimateCost).toMatchObject({
      total: '0.0132',
      currency: 'USD',
      priceCardId: 'anthropic/claude-sonnet-4-5@2026-07-24',
      unpricedKeys: [],
    });
    expect(result.data!.estimateCost.breakdown.map((line) => [line.key, line.amount])).toEqual([
      ['input_tokens', '0.003'],
      ['cache_read_tokens', '0.0006'],
      ['cache_write_tokens', '0.0015'],
      ['cache_write_1h_tokens', '0.0006'],
      ['output_tokens', '0.0075'],
    ]);
  });

  it('should resolve a Bedrock cloud id and a routing prefix', async () => {
    const price = await service.graphql<{ modelPrice: { id: string; matchedBy: string } | null }>(
      'query($p: String!, $m: String!) { modelPrice(provider: $p, model: $m) { id matchedBy } }',
      { p: 'openai', m: 'openai/gpt-4o' },
    );
    expect(price.data!.modelPrice).toMatchObject({ id: 'openai/gpt-4o@2026-07-24' });
    const bedrock = await service.graphql<{ modelPrice: { id: string; matchedBy: string } | null }>(
      'query($p: String!, $m: String!) { modelPrice(provider: $p, model: $m) { id matchedBy } }',
      { p: 'bedrock', m: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
    );
    expect(bedrock.data!.modelPrice?.id).toBe(
      'bedrock/anthropic.claude-sonnet-4-20250514-v1:0@2026-07-24',
    );
  });

  it('should report usage of an unknown model as unpriced, never as free', async () => {
    const result = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'openai',
      model: 'gpt-unknown-9',
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    expect(result.data!.estimateCost).toMatchObject({
      total: '0',
      priceCardId: null,
      unpricedKeys: ['input_tokens', 'output_tokens'],
    });
  });

  it('should add a new version, keep the old one, and price each instant with the version in force', async () => {
    const model = `house-model-${Date.now()}`;
    const first = await service.graphql(UPSERT, {
      input: {
        provider: 'openai',
        model,
        effectiveFrom: '2026-01-01T00:00:00Z',
        prices: { inputTokens: '1', outputTokens: '2' },
      },
    });
    expect(first.errors).toBeUndefined();
    const second = await service.graphql<{
      upsertModelPrice: { id: string; effectiveTo: string | null }[];
    }>(UPSERT, {
      input: {
        provider: 'openai',
        model,
        effectiveFrom: '2026-03-01T00:00:00Z',
        prices: { inputTokens: '0.5', outputTokens: '2' },
      },
    });
    expect(second.errors).toBeUndefined();
    // The first card is closed by a new version of it, not edited: two rows written.
    expect(second.data!.upsertModelPrice).toHaveLength(2);

    const usage = { inputTokens: 1_000_000 };
    const before = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'openai',
      model,
      usage,
      at: '2026-02-28T23:59:59.999Z',
    });
    const boundary = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'openai',
      model,
      usage,
      at: '2026-03-01T00:00:00Z',
    });
    expect(before.data!.estimateCost.total).toBe('1');
    expect(boundary.data!.estimateCost.total).toBe('0.5');

    const active = await service.graphql<{ modelPrices: { effectiveTo: string | null }[] }>(
      HISTORY,
      { provider: 'openai', model },
    );
    expect(active.data!.modelPrices.map((row) => row.effectiveTo)).toEqual([
      '2026-03-01T00:00:00.000Z',
      null,
    ]);
    const all = await service.graphql<{ modelPrices: { supersededAt: string | null }[] }>(HISTORY, {
      provider: 'openai',
      model,
      all: true,
    });
    expect(all.data!.modelPrices).toHaveLength(3);
    expect(all.data!.modelPrices.filter((row) => row.supersededAt !== null)).toHaveLength(1);
  });

  it('should record a correction at the same instant as a new version and keep the wrong one queryable', async () => {
    const model = `corrected-${Date.now()}`;
    const input = { provider: 'anthropic', model, effectiveFrom: '2026-05-01T00:00:00Z' };
    await service.graphql(UPSERT, {
      input: { ...input, prices: { inputTokens: '30', outputTokens: '150' } },
    });
    const corrected = await service.graphql<{
      upsertModelPrice: { id: string; version: number }[];
    }>(UPSERT, {
      input: { ...input, prices: { inputTokens: '3', outputTokens: '15' } },
    });
    expect(corrected.data!.upsertModelPrice).toEqual([expect.objectContaining({ version: 2 })]);
    const estimate = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'anthropic',
      model,
      usage: { inputTokens: 1_000_000 },
      at: '2026-06-01T00:00:00Z',
    });
    expect(estimate.data!.estimateCost.total).toBe('3');
    const all = await service.graphql<{
      modelPrices: { version: number; prices: { inputTokens: string } }[];
    }>(HISTORY, { model, all: true });
    expect(all.data!.modelPrices.map((row) => [row.version, row.prices.inputTokens])).toEqual([
      [1, '30'],
      [2, '3'],
    ]);
  });

  it('should skip an upsert equal to the price in force', async () => {
    const result = await service.graphql<{ upsertModelPrice: unknown[] }>(UPSERT, {
      input: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        effectiveFrom: '2026-08-01T00:00:00Z',
        prices: { inputTokens: '0.15', cacheReadTokens: '0.075', outputTokens: '0.6' },
        batchPrices: { inputTokens: '0.075', outputTokens: '0.3' },
      },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.upsertModelPrice).toEqual([]);
  });

  it('should reject a negative price naming the field', async () => {
    const result = await service.graphql(UPSERT, {
      input: { provider: 'openai', model: 'bad', prices: { inputTokens: '-1' } },
    });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toContain('input.prices.input_tokens');
  });

  it('should import a LiteLLM document as effective-dated versions with counts and per-entry errors', async () => {
    const suffix = Date.now();
    const document = {
      sample_spec: { input_cost_per_token: 0 },
      [`imported-a-${suffix}`]: {
        litellm_provider: 'openai',
        mode: 'chat',
        input_cost_per_token: 1e-6,
        output_cost_per_token: 2e-6,
      },
      [`imported-b-${suffix}`]: {
        litellm_provider: 'anthropic',
        mode: 'chat',
        input_cost_per_token: 3e-6,
        output_cost_per_token: 1.5e-5,
      },
      [`broken-${suffix}`]: {
        litellm_provider: 'openai',
        mode: 'chat',
        input_cost_per_token: -1,
        output_cost_per_token: 1e-6,
      },
    };
    const IMPORT = `mutation($document: JSONObject!, $at: DateTime) {
      importPricing(format: LITELLM_JSON, document: $document, effectiveFrom: $at) {
        created updated skipped errors { key message } skippedEntries { key message }
      }
    }`;
    type Imported = {
      importPricing: {
        created: number;
        updated: number;
        skipped: number;
        errors: { key: string }[];
      };
    };
    const first = await service.graphql<Imported>(IMPORT, { document, at: '2026-07-01T00:00:00Z' });
    expect(first.errors).toBeUndefined();
    expect(first.data!.importPricing).toMatchObject({ created: 2, updated: 0 });
    expect(first.data!.importPricing.errors.map((error) => error.key)).toEqual([
      `broken-${suffix}`,
    ]);

    const again = await service.graphql<Imported>(IMPORT, { document, at: '2026-07-01T00:00:00Z' });
    expect(again.data!.importPricing).toMatchObject({ created: 0, updated: 0 });

    const newer = {
      [`imported-a-${suffix}`]: {
        litellm_provider: 'openai',
        mode: 'chat',
        input_cost_per_token: 5e-7,
        output_cost_per_token: 2e-6,
      },
    };
    const later = await service.graphql<Imported>(IMPORT, {
      document: newer,
      at: '2026-09-01T00:00:00Z',
    });
    expect(later.data!.importPricing).toMatchObject({ created: 0, updated: 1 });
    const usage = { inputTokens: 1_000_000 };
    const july = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'openai',
      model: `imported-a-${suffix}`,
      usage,
      at: '2026-08-15T00:00:00Z',
    });
    const october = await service.graphql<Estimate>(ESTIMATE, {
      provider: 'openai',
      model: `imported-a-${suffix}`,
      usage,
      at: '2026-10-01T00:00:00Z',
    });
    expect([july.data!.estimateCost.total, october.data!.estimateCost.total]).toEqual(['1', '0.5']);
  });

  it.each([
    ['viewer', 'read', true],
    ['finance', 'read', true],
    ['gateway', 'read', false],
    ['viewer', 'write', false],
    ['gateway', 'write', false],
    ['finance', 'write', true],
  ])('should let a %s key %s prices: %s', async (role, action, allowed) => {
    const token = await service.keyFor(role);
    const result =
      action === 'read'
        ? await service.graphql(HISTORY, { provider: 'xai' }, token)
        : await service.graphql(
            UPSERT,
            {
              input: {
                provider: 'openai',
                model: `role-${role}-${Date.now()}`,
                prices: { inputTokens: '1' },
              },
            },
            token,
          );
    if (allowed) expect(result.errors).toBeUndefined();
    else expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
