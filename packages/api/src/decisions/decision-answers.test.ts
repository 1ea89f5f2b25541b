import type { PolicyDecision } from '@purser/policy';
import {
  askedFacts,
  budgetView,
  concurrentHoldsReason,
  deny,
  denyFor,
  failModeAnswer,
  fromPolicyAnswer,
  heldAnswer,
  simulatedAnswer,
  unpricedDeny,
  unpricedWarn,
} from './decision-answers';
import { TEST_NOW, testBudget, testContext, testEstimate, testVelocity } from './decision-testing';

const facts = askedFacts(testContext(), 'USD');

function policyAnswer(overrides: Partial<PolicyDecision> = {}): PolicyDecision {
  return {
    allow: true,
    action: 'allow',
    model: 'test-model',
    max_output_tokens: 4000,
    reasons: [],
    retry_after_seconds: null,
    ...overrides,
  } as PolicyDecision;
}

describe('askedFacts', () => {
  it('should state the decision, the asked model and cap, and the policy revision', () => {
    expect(facts).toEqual({
      decisionId: 'd-1',
      model: 'test-model',
      maxOutputTokens: 4000,
      currency: 'USD',
      policyRevision: 'rev-1',
    });
  });
});

describe('budgetView', () => {
  it('should show the budget with the amount held added to reserved', () => {
    expect(budgetView(testBudget(), '0.5')).toEqual({
      id: 'b-team',
      name: 'team monthly',
      mode: 'block',
      limit: '100',
      spent: '10',
      reserved: '5.5',
      remaining: '84.5',
      currency: 'USD',
      resetsAt: new Date('2026-07-01T00:00:00.000Z'),
    });
  });
});

describe('deny', () => {
  it('should answer not allowed, with the reasons and budgets, and no retry unless given', () => {
    const reasons = [{ code: 'budget_exceeded', message: 'over' }];
    const budgets = [budgetView(testBudget(), '0')];
    const denied = deny(facts, reasons, budgets);
    expect(denied).toEqual({ ...facts, allow: false, action: 'deny', reasons, budgets });
    expect(denied).not.toHaveProperty('retryAfterSeconds');
    expect(deny(facts, reasons, [], 7).retryAfterSeconds).toBe(7);
  });

  it("should take the retry from the one reason's", () => {
    const reason = { code: 'rate_limited', message: 'slow down', retryAfterSeconds: 3 };
    expect(denyFor(facts, reason, [])).toMatchObject({ reasons: [reason], retryAfterSeconds: 3 });
  });
});

describe('failModeAnswer', () => {
  it.each([
    [false, 'purser_unavailable', 'database unreachable', undefined],
    [true, 'purser_overloaded', 'every database connection stayed busy', 1],
  ])('should deny by fail_closed (busy: %s) as %s', (busy, code, why, retry) => {
    const answer = failModeAnswer(facts, false, busy);
    expect(answer).toMatchObject({ allow: false, action: 'deny', budgets: [] });
    expect(answer.retryAfterSeconds).toBe(retry);
    expect(answer.reasons).toEqual([
      {
        code,
        message: `Budgets could not be checked${busy ? ' in time' : ''} (${why}); denied by fail_closed`,
        ...(retry ? { retryAfterSeconds: retry } : {}),
      },
    ]);
  });

  it('should allow with a warning by fail_open', () => {
    expect(failModeAnswer(facts, true, false)).toEqual({
      ...facts,
      budgets: [],
      allow: true,
      action: 'warn',
      reasons: [
        {
          code: 'fail_open',
          message:
            'Budgets could not be checked (database unreachable); allowed without a hold by fail_open',
        },
      ],
    });
  });
});

describe('fromPolicyAnswer', () => {
  it("should take the policy's verdict, model, cap, reasons and retry, without budgets", () => {
    const decision = fromPolicyAnswer(
      'd-1',
      testEstimate({ currency: 'EUR' }),
      policyAnswer({
        allow: false,
        action: 'deny',
        reasons: [{ code: 'rate_limited', message: 'm', retry_after_seconds: 4 }],
        retry_after_seconds: 4,
      }),
      'rev-2',
    );
    expect(decision).toEqual({
      decisionId: 'd-1',
      currency: 'EUR',
      policyRevision: 'rev-2',
      allow: false,
      action: 'deny',
      model: 'test-model',
      maxOutputTokens: 4000,
      reasons: [{ code: 'rate_limited', message: 'm', retryAfterSeconds: 4 }],
      budgets: [],
      retryAfterSeconds: 4,
    });
  });

  it('should leave the retry out when the policy gives none', () => {
    const decision = fromPolicyAnswer('d-1', testEstimate(), policyAnswer(), 'rev-1');
    expect(decision).not.toHaveProperty('retryAfterSeconds');
  });
});

describe('unpriced answers', () => {
  const allowed = { ...fromPolicyAnswer('d-1', testEstimate(), policyAnswer(), 'rev-1') };

  it('should deny naming the enforced budget that cannot be checked', () => {
    const budgets = [budgetView(testBudget(), '0')];
    expect(unpricedDeny(allowed, 'openai', testBudget(), budgets)).toEqual({
      ...allowed,
      allow: false,
      action: 'deny',
      budgets,
      reasons: [
        {
          code: 'unpriced_model',
          message: 'openai/test-model has no price, so budget "team monthly" cannot be checked',
          budgetId: 'b-team',
        },
      ],
    });
  });

  it('should warn, keeping the policy reasons and a stronger action', () => {
    const warned = unpricedWarn(
      { ...allowed, reasons: [{ code: 'soft', message: 's' }] },
      'openai',
    );
    expect(warned.action).toBe('warn');
    expect(warned.reasons.map((reason) => reason.code)).toEqual([
      'soft',
      'unpriced_model_unenforced',
    ]);
    expect(unpricedWarn({ ...allowed, action: 'downgrade' }, 'openai').action).toBe('downgrade');
  });
});

describe('allowed answers', () => {
  const allowed = fromPolicyAnswer('d-1', testEstimate(), policyAnswer(), 'rev-1');

  it('should show a simulation the budgets as they are', () => {
    expect(simulatedAnswer(allowed, [testBudget()]).budgets).toEqual([
      budgetView(testBudget(), '0'),
    ]);
  });

  it('should show the counters the hold saw plus the amount held, and the reservation', () => {
    const expiresAt = new Date('2026-06-15T12:05:00.000Z');
    const seen = testBudget({ spent: '20', reserved: '1' });
    const other = testBudget({ id: 'b-other' });
    const answer = heldAnswer(allowed, [testBudget(), other], [seen], testEstimate(), {
      reservationId: 'r-1',
      expiresAt,
    });
    expect(answer.budgets).toEqual([budgetView(seen, '0.009'), budgetView(other, '0.009')]);
    expect(answer.reservation).toEqual({
      id: 'r-1',
      amount: '0.009',
      currency: 'USD',
      expiresAt,
    });
  });
});

describe('concurrentHoldsReason', () => {
  it('should name the velocity limit, with its window as the retry', () => {
    const refused = { ok: false, limitId: 'v-session', spent: [], reserved: [], counted: [] };
    expect(concurrentHoldsReason(refused, [testVelocity()], TEST_NOW)).toEqual({
      code: 'rate_limited',
      message: 'The velocity limit was reached by concurrent requests',
      retryAfterSeconds: 30,
    });
  });

  it('should name the budget, when the hold said which', () => {
    const refused = { ok: false, budgetId: 'b-team', spent: [], reserved: [], counted: [] };
    expect(concurrentHoldsReason(refused, [], TEST_NOW)).toEqual({
      code: 'budget_exceeded',
      message: 'Concurrent holds used the remaining budget before this hold could be placed',
      budgetId: 'b-team',
    });
    expect(concurrentHoldsReason(undefined, [], TEST_NOW)).not.toHaveProperty('budgetId');
  });
});
