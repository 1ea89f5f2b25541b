import { fromPolicyAnswer } from './decision-answers';
import { TEST_NOW, testBudget, testContext, testEstimate, testVelocity } from './decision-testing';
import { counterIncrement, holdRequestOf } from './hold-request';

describe('counterIncrement', () => {
  it.each([
    ['requests', '1'],
    ['tokens', '5000'],
    ['cost', '0.009'],
  ] as const)('should add to a %s counter %s', (metric, amount) => {
    expect(counterIncrement(testVelocity({ metric }), 5000, testEstimate())).toEqual({
      limitId: 'v-session',
      scopeValue: 's-1',
      windowStart: testVelocity().windowStart,
      amount,
      limit: '10',
    });
  });
});

describe('holdRequestOf', () => {
  it('should hold the final worst case on the budgets evaluated, counting the allowed cap', () => {
    const budgets = [testBudget()];
    const decision = {
      ...fromPolicyAnswer(
        'd-1',
        testEstimate(),
        {
          allow: true,
          action: 'downgrade',
          model: 'test-mini',
          max_output_tokens: 500,
          reasons: [],
          retry_after_seconds: null,
        },
        'rev-1',
      ),
    };
    const final = testEstimate({ model: 'test-mini', total: '0.0002' });
    const context = testContext({
      snapshot: { budgets, velocity: [testVelocity({ metric: 'tokens' })], exact: false },
      evaluation: { decision, budgets, final },
    });
    const expiresAt = new Date(TEST_NOW.getTime() + 300_000);
    const request = holdRequestOf(context, 'r-1', expiresAt);
    expect(request).toEqual({
      reservationId: 'r-1',
      decisionId: 'd-1',
      amount: '0.0002',
      currency: 'USD',
      budgets,
      counters: [counterIncrement(testVelocity({ metric: 'tokens' }), 1500, final)],
      attribution: { team: 'search' },
      now: TEST_NOW,
      expiresAt,
      keyId: 'key-1',
    });
    expect(request.counters[0]?.amount).toBe('1500');
  });
});
