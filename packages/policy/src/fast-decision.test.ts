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
  mutationOutcomes,
  type PathTaken,
  showValue,
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

/** The fast path answers exactly the schema path's JSON, or stands aside. */
function expectSameInput(input: unknown): PathTaken {
  const fast = fastDecisionInputJson(input as DecisionInput);
  if (fast === undefined) return 'schema';
  const schema = schemaJson(input);
  if (schema === null)
    throw new Error(`fast path accepted what the schema refuses: ${showValue(input)}`);
  expect(fast).toBe(schema);
  return 'fast';
}

function expectSameDecision(value: unknown): PathTaken {
  const fast = fastPolicyDecision(value);
  if (fast === undefined) return 'schema';
  const schema = policyDecisionSchema.safeParse(value);
  if (!schema.success)
    throw new Error(`fast path accepted an invalid decision: ${showValue(value)}`);
  expect(fast).toStrictEqual(schema.data);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(schema.data));
  return 'fast';
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
