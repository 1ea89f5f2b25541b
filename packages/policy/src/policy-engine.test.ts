import { readFileSync } from 'node:fs';

import { readBundle } from './bundle';
import type { DecisionInput } from './decision-input';
import { createPolicyEngine, type PolicyEngine } from './policy-engine';
import {
  buildBudget,
  buildDecisionInput,
  buildVelocityLimit,
  DEFAULT_BUNDLE_PATH,
  GPT_4O_ESTIMATE,
  repackBundle,
} from './testing';

const defaultBundle = readFileSync(DEFAULT_BUNDLE_PATH);
const defaultRevision = readBundle(defaultBundle).revision;

function decide(engine: PolicyEngine, input: DecisionInput) {
  const result = engine.evaluate(input);
  if (!result.ok) throw result.error;
  return result.decision;
}

/** The answer of a downgrade from gpt-4o to gpt-4o-mini. */
const downgradedToMini = {
  allow: true,
  action: 'downgrade',
  model: 'gpt-4o-mini',
  max_output_tokens: 4000,
  codes: ['downgraded'],
};

describe('createPolicyEngine', () => {
  let engine: PolicyEngine;

  beforeAll(async () => {
    engine = await createPolicyEngine({ bundle: DEFAULT_BUNDLE_PATH });
  });

  it('should load the committed bundle with its manifest revision', () => {
    expect(engine.revision).toBe(defaultRevision);
    expect(engine.revision).toMatch(/^[0-9a-f]{16}$/);
  });

  it('should load from a buffer as from a path', async () => {
    const fromBuffer = await createPolicyEngine({ bundle: defaultBundle });
    expect(fromBuffer.revision).toBe(engine.revision);
    expect(fromBuffer.bundleSha256).toBe(engine.bundleSha256);
  });

  it('should allow a request with no budgets or limits', () => {
    expect(engine.evaluate(buildDecisionInput())).toEqual({
      ok: true,
      revision: defaultRevision,
      decision: {
        allow: true,
        action: 'allow',
        model: 'gpt-4o',
        max_output_tokens: 4000,
        reasons: [],
        retry_after_seconds: null,
      },
    });
  });

  // The gpt-4o request's worst case is 42,500,000 nanos: 2,500,000 input + 4,000 × 10,000.
  it.each([
    {
      mode: 'block at the limit exactly',
      budgets: [
        buildBudget({
          id: 'org',
          mode: 'block',
          limit_nanos: 100_000_000n,
          spent_nanos: 57_500_000n,
        }),
      ],
      expected: {
        allow: true,
        action: 'allow',
        model: 'gpt-4o',
        max_output_tokens: 4000,
        codes: [],
      },
    },
    {
      mode: 'block without room for any output',
      budgets: [
        buildBudget({
          id: 'org',
          mode: 'block',
          limit_nanos: 100_000_000n,
          spent_nanos: 97_490_001n,
        }),
      ],
      expected: {
        allow: false,
        action: 'deny',
        model: 'gpt-4o',
        max_output_tokens: 4000,
        codes: ['budget_exceeded'],
      },
    },
    {
      mode: 'block with room for part of the output',
      budgets: [
        buildBudget({
          id: 'org',
          mode: 'block',
          limit_nanos: 100_000_000n,
          spent_nanos: 50_000_000n,
          reserved_nanos: 20_000_000n,
        }),
      ],
      // headroom 30,000,000 - input 2,500,000 = 2,750 output tokens
      expected: {
        allow: true,
        action: 'warn',
        model: 'gpt-4o',
        max_output_tokens: 2750,
        codes: ['max_output_tokens_capped'],
      },
    },
    {
      mode: 'downgrade',
      budgets: [
        buildBudget({
          id: 'team',
          mode: 'downgrade',
          limit_nanos: 10_000_000n,
          downgrade_chain: ['gpt-4o', 'gpt-4o-mini'],
        }),
      ],
      expected: downgradedToMini,
    },
    {
      mode: 'downgrade along the default chain of data.json',
      budgets: [buildBudget({ id: 'team', mode: 'downgrade', limit_nanos: 10_000_000n })],
      expected: downgradedToMini,
    },
    {
      mode: 'alert_only',
      budgets: [buildBudget({ id: 'alerts', mode: 'alert_only', limit_nanos: 10_000_000n })],
      expected: {
        allow: true,
        action: 'warn',
        model: 'gpt-4o',
        max_output_tokens: 4000,
        codes: ['budget_exceeded_alert_only'],
      },
    },
    {
      mode: 'soft threshold',
      budgets: [
        buildBudget({
          id: 'org',
          mode: 'block',
          limit_nanos: 100_000_000n,
          spent_nanos: 40_000_000n,
          soft_thresholds: [0.5, 0.8],
        }),
      ],
      expected: {
        allow: true,
        action: 'warn',
        model: 'gpt-4o',
        max_output_tokens: 4000,
        codes: ['budget_threshold'],
      },
    },
  ])('should answer a $mode budget', ({ budgets, expected }) => {
    const decision = decide(engine, buildDecisionInput({ budgets }));
    expect({
      allow: decision.allow,
      action: decision.action,
      model: decision.model,
      max_output_tokens: decision.max_output_tokens,
      codes: decision.reasons.map((reason) => reason.code),
    }).toEqual(expected);
  });

  it('should name the budget and the threshold reached', () => {
    const decision = decide(
      engine,
      buildDecisionInput({
        budgets: [
          buildBudget({
            id: 'b-1',
            name: 'ML monthly',
            mode: 'block',
            limit_nanos: 100_000_000n,
            spent_nanos: 40_000_000n,
            soft_thresholds: [0.5, 0.8],
          }),
        ],
      }),
    );
    expect(decision.reasons).toEqual([
      {
        code: 'budget_threshold',
        message: 'budget "ML monthly" reaches 80% of its limit',
        budget_id: 'b-1',
        threshold_basis_points: 8000,
      },
    ]);
  });

  it('should compare amounts beyond 2^53 and 2^64 nanos exactly', () => {
    const limit = 50_000_000_000_000_000_000n; // 50 billion units
    const atLimit = buildBudget({
      id: 'org',
      mode: 'block',
      limit_nanos: limit,
      spent_nanos: limit - 42_500_000n,
    });
    const overByOneToken = { ...atLimit, spent_nanos: limit - 42_500_000n + 10_000n };
    expect(decide(engine, buildDecisionInput({ budgets: [atLimit] })).action).toBe('allow');
    expect(
      decide(engine, buildDecisionInput({ budgets: [overByOneToken] })).max_output_tokens,
    ).toBe(3999);
  });

  it('should deny a rate-limited request and say when to retry', () => {
    const decision = decide(
      engine,
      buildDecisionInput({
        velocity: [
          buildVelocityLimit({
            id: 'v-rpm',
            metric: 'requests',
            limit: 10n,
            current: 10n,
            retry_after_seconds: 12,
          }),
          buildVelocityLimit({
            id: 'v-cost',
            metric: 'cost_nanos',
            limit: 100_000_000n,
            current: 57_500_001n,
            retry_after_seconds: 40,
          }),
          buildVelocityLimit({ id: 'v-tpm', metric: 'tokens', limit: 5000n, current: 0n }),
        ],
      }),
    );
    expect(decision.allow).toBe(false);
    expect(decision.retry_after_seconds).toBe(40);
    expect(decision.reasons.map((reason) => [reason.code, reason.limit_id])).toEqual([
      ['rate_limited', 'v-cost'],
      ['rate_limited', 'v-rpm'],
    ]);
  });

  it.each([
    {
      case: 'o1-pro in development',
      model: 'o1-pro',
      environment: 'development',
      keyModels: undefined,
      action: 'deny',
    },
    {
      case: 'o1-pro in production',
      model: 'o1-pro',
      environment: 'production',
      keyModels: undefined,
      action: 'allow',
    },
    {
      case: 'a model outside the key allowlist',
      model: 'gpt-4o',
      environment: 'production',
      keyModels: ['gpt-4o-mini'],
      action: 'deny',
    },
    {
      case: 'a model matching a key pattern',
      model: 'gpt-4o-mini',
      environment: 'production',
      keyModels: ['gpt-4o-mini*'],
      action: 'allow',
    },
    {
      case: 'any model for a key with an empty list',
      model: 'gpt-4o',
      environment: 'production',
      keyModels: [],
      action: 'allow',
    },
  ])('should apply model lists: $case → $action', ({ model, environment, keyModels, action }) => {
    const input = buildDecisionInput({
      request: { model, attribution: { environment } },
      estimate: { ...GPT_4O_ESTIMATE, model },
      principal: {
        key_id: 'key-gateway',
        role: 'gateway',
        ...(keyModels === undefined
          ? {}
          : { virtual_key: { id: 'vk-1', allowed_models: keyModels } }),
      },
    });
    const decision = decide(engine, input);
    expect(decision.action).toBe(action);
    expect(decision.reasons.map((reason) => reason.code)).toEqual(
      action === 'deny' ? ['model_not_allowed'] : [],
    );
  });

  it.each([
    {
      case: 'money as a JS number',
      patch: { estimate: { ...GPT_4O_ESTIMATE, cost_nanos: 42_500_000 as unknown as bigint } },
    },
    { case: 'a negative amount', patch: { estimate: { ...GPT_4O_ESTIMATE, cost_nanos: '-1' } } },
    {
      case: 'an unknown budget mode',
      patch: { budgets: [buildBudget({ id: 'b', mode: 'soft' as 'block', limit_nanos: 1n })] },
    },
    { case: 'duplicate candidates', patch: { candidates: [GPT_4O_ESTIMATE, GPT_4O_ESTIMATE] } },
  ])('should refuse $case as invalid input, never allowing', ({ patch }) => {
    const result = engine.evaluate(buildDecisionInput(patch as Partial<DecisionInput>));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('POLICY_INPUT_INVALID');
  });

  it('should accept amounts as digit strings', () => {
    const input = buildDecisionInput({
      budgets: [
        buildBudget({ id: 'org', mode: 'block', limit_nanos: '42500000', spent_nanos: '1' }),
      ],
    });
    expect(decide(engine, input).action).toBe('warn');
  });
});

describe('PolicyEngine.evaluate failures', () => {
  it('should return ok:false when the wasm evaluation fails', async () => {
    // Capped memory: the module and data fit, a request with 20,000 candidates does not.
    const engine = await createPolicyEngine({
      bundle: defaultBundle,
      memory: { initial: 5, maximum: 8 },
    });
    const candidates = Array.from({ length: 20_000 }, (_, index) => ({
      ...GPT_4O_ESTIMATE,
      model: `model-${index}`,
    }));
    const result = engine.evaluate(buildDecisionInput({ candidates }));
    expect(result).toMatchObject({
      ok: false,
      revision: defaultRevision,
      error: { code: 'POLICY_EVALUATION_FAILED' },
    });
    expect(engine.evaluate(buildDecisionInput()).ok).toBe(true);
  });
});

describe('PolicyEngine.swap', () => {
  const denyGpt4o = repackBundle(defaultBundle, {
    revision: 'test-deny-gpt-4o',
    data: (data) => {
      const purser = data.purser as { config: { models: { default: Record<string, unknown> } } };
      purser.config.models.default = { deny: ['gpt-4o'] };
      return data;
    },
  });

  it('should switch to the new bundle and its revision', async () => {
    const engine = await createPolicyEngine({ bundle: defaultBundle });
    expect(await engine.swap(denyGpt4o)).toEqual({
      ok: true,
      revision: 'test-deny-gpt-4o',
      previousRevision: defaultRevision,
    });
    const result = engine.evaluate(buildDecisionInput());
    expect(result.revision).toBe('test-deny-gpt-4o');
    expect(result.ok && result.decision.reasons).toEqual([
      { code: 'model_not_allowed', message: 'model gpt-4o is not allowed by default' },
    ]);
  });

  it('should answer every evaluation made during a swap from one whole bundle', async () => {
    const engine = await createPolicyEngine({ bundle: defaultBundle });
    const swap = engine.swap(denyGpt4o);
    let swapped = false;
    void swap.then(() => {
      swapped = true;
    });
    const seen: Array<{ revision: string; action: string; afterSwap: boolean }> = [];
    while (!swapped || seen.filter((entry) => entry.afterSwap).length < 20) {
      const afterSwap = swapped;
      const result = engine.evaluate(buildDecisionInput());
      if (!result.ok) throw result.error;
      seen.push({ revision: result.revision, action: result.decision.action, afterSwap });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await swap).ok).toBe(true);
    for (const entry of seen) {
      expect(entry).toEqual(
        entry.revision === defaultRevision
          ? { revision: defaultRevision, action: 'allow', afterSwap: false }
          : { revision: 'test-deny-gpt-4o', action: 'deny', afterSwap: entry.afterSwap },
      );
    }
    expect(
      seen
        .filter((entry) => entry.afterSwap)
        .every((entry) => entry.revision === 'test-deny-gpt-4o'),
    ).toBe(true);
  });

  it.each([
    { case: 'not gzip', bundle: Buffer.from('not a bundle'), code: 'POLICY_BUNDLE_UNREADABLE' },
    {
      case: 'a corrupt wasm module',
      bundle: repackBundle(defaultBundle, {
        members: { '/policy.wasm': Buffer.from('\0asm garbage') },
      }),
      code: 'POLICY_BUNDLE_INVALID',
    },
    {
      case: 'a manifest without revision',
      bundle: repackBundle(defaultBundle, { revision: '' }),
      code: 'POLICY_BUNDLE_INVALID',
    },
    {
      case: 'invalid data.json',
      bundle: repackBundle(defaultBundle, { members: { '/data.json': Buffer.from('{"purser":') } }),
      code: 'POLICY_BUNDLE_INVALID',
    },
    {
      case: 'a missing file',
      bundle: '/nonexistent/bundle.tar.gz',
      code: 'POLICY_BUNDLE_UNREADABLE',
    },
  ])('should reject $case and keep the old bundle active', async ({ bundle, code }) => {
    const engine = await createPolicyEngine({ bundle: defaultBundle });
    const result = await engine.swap(bundle);
    expect(result).toMatchObject({ ok: false, revision: defaultRevision, error: { code } });
    expect(engine.revision).toBe(defaultRevision);
    expect(engine.evaluate(buildDecisionInput())).toMatchObject({
      ok: true,
      revision: defaultRevision,
    });
  });

  it('should refuse to start on a corrupt bundle', async () => {
    await expect(createPolicyEngine({ bundle: Buffer.from('garbage') })).rejects.toMatchObject({
      name: 'PolicyError',
      code: 'POLICY_BUNDLE_UNREADABLE',
    });
  });
});
