import { decisionInputSchema } from '@purser/policy';
import { TEST_NOW, testBudget, testContext, testEstimate, testVelocity } from './decision-testing';
import { policyInput, retryAfter, toBudgetSnapshot, toVelocitySnapshot } from './policy-input';

describe('policyInput', () => {
  it('should state the request, principal, estimate, candidates and counters as the schema reads them', () => {
    const context = testContext({
      request: {
        provider: 'OpenAI',
        model: 'test-model',
        attribution: { team: 'claimed' },
        estimatedInputTokens: 1000,
        maxOutputTokens: 4000,
        metadata: { trace: 't-1' },
      },
      attribution: { team: 'search', virtual_key: 'vk-1' },
      virtualKey: {
        id: 'vk-1',
        name: 'bot',
        attribution: { team: 'search' },
        allowedModels: ['test-*'],
        secretPrefix: 'pk_',
        createdAt: TEST_NOW,
        revokedAt: null,
      },
    });
    const input = policyInput(
      context,
      testEstimate(),
      [testEstimate({ model: 'test-mini', total: '0.001' })],
      [testBudget()],
      [testVelocity()],
    );
    expect(input.request).toEqual({
      provider: 'openai',
      model: 'test-model',
      attribution: { team: 'search', virtual_key: 'vk-1' },
      estimated_input_tokens: 1000,
      max_output_tokens: 4000,
      metadata: { trace: 't-1' },
    });
    expect(input.principal).toEqual({
      key_id: 'key-1',
      role: 'gateway',
      virtual_key: { id: 'vk-1', allowed_models: ['test-*'] },
    });
    expect(input.estimate.cost_nanos).toBe('9000000');
    expect(input.candidates?.map((candidate) => candidate.model)).toEqual(['test-mini']);
    expect(input.budgets).toEqual([toBudgetSnapshot(testBudget())]);
    expect(input.velocity).toEqual([toVelocitySnapshot(testVelocity(), TEST_NOW)]);
    expect(input.now_ns).toBe(`${TEST_NOW.getTime()}000000`);
    const parsed = decisionInputSchema.safeParse(input);
    expect(parsed.error?.issues).toBeUndefined();
  });

  it('should leave the virtual key out, and give empty metadata, when there are none', () => {
    const input = policyInput(testContext(), testEstimate(), [], [], []);
    expect(input.principal).toEqual({ key_id: 'key-1', role: 'gateway' });
    expect(input.request.metadata).toEqual({});
  });
});

describe('toBudgetSnapshot', () => {
  it('should floor the limit and round counters up, in nano-units', () => {
    const snapshot = toBudgetSnapshot(
      testBudget({ limit: '1.0000000019', spent: '0.0000000011', reserved: '0' }),
    );
    expect(snapshot).toMatchObject({
      limit_nanos: '1000000001',
      spent_nanos: '2',
      reserved_nanos: '0',
      resets_at: '2026-07-01T00:00:00.000Z',
    });
  });

  it('should say no reset for a budget without a window end', () => {
    expect(toBudgetSnapshot(testBudget({ windowEnd: null })).resets_at).toBeNull();
  });
});

describe('toVelocitySnapshot', () => {
  it.each([
    ['requests', '10.9', '2.1', 'requests', '10', '3'],
    ['tokens', '5000', '120', 'tokens', '5000', '120'],
    ['cost', '0.5', '0.0000000011', 'cost_nanos', '500000000', '2'],
  ] as const)(
    'should state a %s limit as %s',
    (metric, limit, current, expectedMetric, expectedLimit, expectedCurrent) => {
      expect(toVelocitySnapshot(testVelocity({ metric, limit }, current), TEST_NOW)).toEqual({
        id: 'v-session',
        scope: 'session',
        metric: expectedMetric,
        limit: expectedLimit,
        window_seconds: 60,
        current: expectedCurrent,
        retry_after_seconds: 30,
      });
    },
  );
});

describe('retryAfter', () => {
  it('should answer whole seconds to the window end, at least one', () => {
    expect(retryAfter(testVelocity(), TEST_NOW)).toBe(30);
    expect(retryAfter(testVelocity(), new Date('2026-06-15T12:00:29.999Z'))).toBe(1);
    expect(retryAfter(testVelocity(), new Date('2026-06-15T12:05:00.000Z'))).toBe(1);
    expect(retryAfter(undefined, TEST_NOW)).toBe(1);
  });
});
