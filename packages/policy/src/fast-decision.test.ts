import fc from 'fast-check';

import {
  attributionSchema,
  budgetSnapshotSchema,
  decisionInputSchema,
  decisionRequestSchema,
  modelEstimateSchema,
  principalSchema,
  velocitySnapshotSchema,
  type DecisionInput,
} from './decision-input';
import { decisionReasonSchema, policyDecisionSchema } from './decision-output';
import { fastDecisionInputJson, fastPolicyDecision } from './fast-decision';
import { createPolicyEngine } from './policy-engine';
import { toPolicyJson } from './policy-json';
import {
  buildBudget,
  buildDecisionInput,
  buildVelocityLimit,
  DEFAULT_BUNDLE_PATH,
  GPT_4O_ESTIMATE,
  checkTwin,
  expectEquivalent,
  type FastTwin,
  mutationOutcomes,
  NASTY_VALUES,
  type PathTaken,
} from './testing';

/** What the schema path answers: the policy JSON, or null when the schema refuses. */
function schemaJson(input: unknown): string | null {
  const parsed = decisionInputSchema.safeParse(input);
  if (!parsed.success) return null;
  try {
    return toPolicyJson(parsed.data);
  } catch {
    return null;
  }
}

/** The policy input's fast path and the schema path it must equal. */
const INPUT_JSON: FastTwin<unknown, string> = {
  fast: (input) => fastDecisionInputJson(input as DecisionInput),
  reference: (input) => {
    const json = schemaJson(input);
    return json === null ? { success: false } : { success: true, data: json };
  },
  compare: (fast, schema) => expect(fast).toBe(schema),
};

/** The fast path answers exactly the schema path's JSON, or stands aside. */
function expectSameInput(input: unknown): PathTaken {
  return checkTwin(INPUT_JSON, input);
}

/** The policy decision's fast check and its schema. */
const DECISION: FastTwin<unknown, unknown> = {
  fast: fastPolicyDecision,
  reference: (value) => policyDecisionSchema.safeParse(value),
  compare: (fast, schema) => {
    expect(fast).toStrictEqual(schema);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(schema));
  },
};

function expectSameDecision(value: unknown): PathTaken {
  return checkTwin(DECISION, value);
}

/** Inputs like those the service builds, and the less common shapes the schema allows. */
function realisticInputs(): DecisionInput[] {
  return [
    buildDecisionInput(),
    buildDecisionInput({
      request: { attribution: { team: 'search' }, metadata: { trace: 'abc', nested: { n: 1 } } },
      budgets: [
        buildBudget({ id: 'org', mode: 'block', limit_nanos: 10n ** 12n, soft_thresholds: [0.8] }),
        buildBudget({
          id: 'team',
          name: 'search team',
          mode: 'downgrade',
          limit_nanos: 50_000_000n,
          spent_nanos: 40_000_000n,
          reserved_nanos: 1n,
          downgrade_chain: ['gpt-4o', 'gpt-4o-mini'],
          resets_at: null,
        }),
        buildBudget({
          id: 'alert',
          mode: 'alert_only',
          limit_nanos: 1n,
          soft_thresholds: [0.5, 0.9],
        }),
      ],
      velocity: [
        buildVelocityLimit({ id: 'calls', metric: 'requests', limit: 60n, current: 59n }),
        buildVelocityLimit({ id: 'cost', metric: 'cost_nanos', limit: '1000000', current: '0' }),
      ],
    }),
    buildDecisionInput({
      principal: {
        key_id: 'key-vk',
        role: 'gateway',
        virtual_key: { id: 'vk-1', allowed_models: ['gpt-4o*'] },
      },
      candidates: [],
      now_ns: '1763884800000000000',
    }),
    {
      request: {
        provider: 'openai',
        model: 'gpt-4o',
        estimated_input_tokens: 0,
        max_output_tokens: 0,
      },
      principal: { key_id: 'k', role: 'viewer', virtual_key: { id: 'vk' } },
      estimate: GPT_4O_ESTIMATE,
      budgets: [{ id: 'b', mode: 'block', limit_nanos: 0n, spent_nanos: 0n, reserved_nanos: 0n }],
      now_ns: 0n,
    },
  ];
}

describe('fastDecisionInputJson', () => {
  it('should answer the schema path JSON for the inputs the service builds', () => {
    for (const input of realisticInputs()) expect(expectSameInput(input)).toBe('fast');
  });

  it('should answer the schema path JSON or stand aside for every mutation', () => {
    const { fast, schema } = mutationOutcomes(realisticInputs(), expectSameInput);
    // Both paths are exercised: many mutations stay valid, many do not.
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(1000);
  });

  it('should stand aside for duplicate candidates, which the schema words', () => {
    const input = buildDecisionInput({ candidates: [GPT_4O_ESTIMATE, GPT_4O_ESTIMATE] });
    expect(fastDecisionInputJson(input)).toBeUndefined();
    expect(schemaJson(input)).toBeNull();
  });
});

describe('fastPolicyDecision', () => {
  it('should answer what the schema answers for decisions the policy makes', async () => {
    const engine = await createPolicyEngine({ bundle: DEFAULT_BUNDLE_PATH });
    const decisions: unknown[] = [];
    for (const input of [
      ...realisticInputs(),
      buildDecisionInput({
        budgets: [buildBudget({ id: 'full', mode: 'block', limit_nanos: 1n })],
      }),
      buildDecisionInput({
        budgets: [
          buildBudget({
            id: 'warm',
            mode: 'block',
            limit_nanos: 100_000_000n,
            spent_nanos: 40_000_000n,
            soft_thresholds: [0.8],
          }),
        ],
      }),
      buildDecisionInput({
        velocity: [buildVelocityLimit({ id: 'calls', metric: 'requests', limit: 1n, current: 1n })],
      }),
    ]) {
      const result = engine.evaluate(input);
      if (!result.ok) throw result.error;
      decisions.push(result.decision);
    }
    const codes = new Set(
      decisions.flatMap((decision) =>
        (decision as { reasons: { code: string }[] }).reasons.map((r) => r.code),
      ),
    );
    // Reasons with a budget, a threshold and a retry delay are all covered.
    expect([...codes].sort()).toEqual(
      expect.arrayContaining(['budget_exceeded', 'budget_threshold', 'rate_limited']),
    );
    for (const decision of decisions) expect(expectSameDecision(decision)).toBe('fast');
    const { fast, schema } = mutationOutcomes(decisions, expectSameDecision);
    expect(fast).toBeGreaterThan(20);
    expect(schema).toBeGreaterThan(200);
  });
});

describe('the schemas behind the fast paths', () => {
  it('should have the fields the fast paths know (a new one needs them too)', () => {
    const keys = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape).sort();
    expect(keys(decisionInputSchema)).toEqual([
      'budgets',
      'candidates',
      'estimate',
      'now_ns',
      'principal',
      'request',
      'velocity',
    ]);
    expect(keys(decisionRequestSchema)).toEqual([
      'attribution',
      'estimated_input_tokens',
      'max_output_tokens',
      'metadata',
      'model',
      'provider',
    ]);
    expect(keys(budgetSnapshotSchema)).toHaveLength(9);
    expect(keys(velocitySnapshotSchema)).toHaveLength(7);
    expect(keys(modelEstimateSchema)).toHaveLength(4);
    expect(keys(principalSchema)).toEqual(['key_id', 'role', 'virtual_key']);
    expect(keys(attributionSchema)).toHaveLength(10);
    expect(keys(policyDecisionSchema)).toEqual([
      'action',
      'allow',
      'max_output_tokens',
      'model',
      'reasons',
      'retry_after_seconds',
    ]);
    expect(keys(decisionReasonSchema)).toHaveLength(6);
  });
});

describe('the fast paths on generated inputs', () => {
  /** Mostly a value the service would send, sometimes an awkward one. */
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof(
      { weight: 8, arbitrary: valid as fc.Arbitrary<unknown> },
      { weight: 1, arbitrary: fc.constantFrom(...NASTY_VALUES) },
    );
  const nanos = fc.bigInt({ min: 0n, max: 10n ** 15n });
  const budget = fc.record({
    id: mostly(fc.string({ minLength: 1, maxLength: 40 })),
    name: mostly(fc.string({ maxLength: 40 })),
    mode: mostly(fc.constantFrom('block', 'downgrade', 'alert_only')),
    limit_nanos: mostly(nanos),
    spent_nanos: mostly(nanos),
    reserved_nanos: mostly(nanos),
    soft_thresholds: mostly(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 })),
    downgrade_chain: mostly(fc.array(fc.constantFrom('gpt-4o', 'gpt-4o-mini'), { maxLength: 2 })),
    resets_at: mostly(fc.constantFrom('2025-12-01T00:00:00Z', null)),
  });
  const velocity = fc.record({
    id: mostly(fc.string({ minLength: 1, maxLength: 20 })),
    scope: mostly(fc.constantFrom('session', 'key', 'team')),
    metric: mostly(fc.constantFrom('requests', 'tokens', 'cost_nanos')),
    window_seconds: mostly(fc.integer({ min: 1, max: 86_400 })),
    limit: mostly(fc.oneof(nanos, nanos.map(String))),
    current: mostly(fc.oneof(nanos, nanos.map(String))),
    retry_after_seconds: mostly(fc.integer({ min: 0, max: 3600 })),
  });
  const inputs = fc
    .record({
      request: fc.record(
        {
          model: mostly(fc.constantFrom('gpt-4o', 'gpt-4o-mini', 'o3')),
          attribution: mostly(
            fc.record({ team: fc.string(), user: fc.string() }, { requiredKeys: [] }),
          ),
          estimated_input_tokens: mostly(fc.nat()),
          max_output_tokens: mostly(fc.nat()),
          metadata: mostly(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })),
        },
        { requiredKeys: [] },
      ),
      budgets: mostly(fc.array(budget, { maxLength: 3 })),
      velocity: mostly(fc.array(velocity, { maxLength: 2 })),
      now_ns: mostly(fc.oneof(nanos, nanos.map(String))),
    })
    .map(({ request, ...rest }) =>
      buildDecisionInput({ request, ...rest } as Parameters<typeof buildDecisionInput>[0]),
    );

  it('should answer the schema path JSON or stand aside for every generated input', () => {
    const { fast, schema } = expectEquivalent({ ...INPUT_JSON, arbitrary: inputs, runs: 2000 });
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(100);
  });

  it('should answer what the schema answers for every generated decision', () => {
    const reason = fc.record(
      {
        code: mostly(fc.constantFrom('budget_exceeded', 'budget_threshold', 'rate_limited')),
        message: mostly(fc.string()),
        budget_id: mostly(fc.string({ minLength: 1 })),
        retry_after_seconds: mostly(fc.nat()),
      },
      { requiredKeys: ['code', 'message'] },
    );
    const decisions = fc.record(
      {
        allow: mostly(fc.boolean()),
        action: mostly(fc.constantFrom('allow', 'warn', 'downgrade', 'deny')),
        model: mostly(fc.constantFrom('gpt-4o', 'gpt-4o-mini')),
        max_output_tokens: mostly(fc.nat()),
        reasons: mostly(fc.array(reason, { maxLength: 3 })),
        retry_after_seconds: mostly(fc.nat()),
      },
      { requiredKeys: ['allow', 'action', 'reasons'] },
    );
    const { fast, schema } = expectEquivalent({ ...DECISION, arbitrary: decisions, runs: 2000 });
    expect(fast).toBeGreaterThan(100);
    expect(schema).toBeGreaterThan(100);
  });
});
