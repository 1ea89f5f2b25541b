import type { BudgetState } from '../budgets/budget.service';
import type { VelocityState } from '../velocity/velocity.service';
import { type DecisionContext, nothingDecidedYet } from './decision-context';
import type { PolicyRuntime } from './policy-runtime';
import type { Estimate } from './worst-case';

/** Builders for the decision steps' unit tests: plain values, overridable field by field. */

export const TEST_NOW = new Date('2026-06-15T12:00:00.000Z');

export function testBudget(overrides: Partial<BudgetState> = {}): BudgetState {
  return {
    id: 'b-team',
    name: 'team monthly',
    scope: { team: 'search' },
    period: 'monthly',
    timezone: 'UTC',
    limit: '100',
    currency: 'USD',
    mode: 'block',
    softThresholds: [],
    downgradeChain: [],
    windowStart: new Date('2026-06-01T00:00:00.000Z'),
    windowEnd: new Date('2026-07-01T00:00:00.000Z'),
    spent: '10',
    reserved: '5',
    remaining: '85',
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

export function testVelocity(
  overrides: Partial<VelocityState['limit']> = {},
  current = '3',
): VelocityState {
  return {
    limit: {
      id: 'v-session',
      name: 'per session',
      scope: 'session',
      metric: 'requests',
      limit: '10',
      windowSeconds: 60,
      ...overrides,
    },
    scopeValue: 's-1',
    windowStart: new Date('2026-06-15T11:59:30.000Z'),
    windowEnd: new Date('2026-06-15T12:00:30.000Z'),
    current,
  };
}

export function testEstimate(overrides: Partial<Estimate> = {}): Estimate {
  return {
    model: 'test-model',
    total: '0.009',
    input: '0.001',
    perOutputToken: '0.000002',
    currency: 'USD',
    priced: true,
    ...overrides,
  };
}

/** A decision's context as the orchestrator makes it, before anything is read. */
export function testContext(overrides: Partial<DecisionContext> = {}): DecisionContext {
  return {
    request: {
      provider: 'openai',
      model: 'test-model',
      attribution: { team: 'search' },
      estimatedInputTokens: 1000,
      maxOutputTokens: 4000,
    },
    principal: { keyId: 'key-1', name: 'gateway', role: 'gateway' },
    path: 'graphql',
    started: 0,
    now: TEST_NOW,
    decisionId: 'd-1',
    provider: 'openai',
    policy: { revision: 'rev-1', chains: [] } as unknown as PolicyRuntime,
    attribution: { team: 'search' },
    ...nothingDecidedYet(),
    ...overrides,
  };
}
