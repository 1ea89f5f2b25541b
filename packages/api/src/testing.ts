// Builders for tests of the API package (`@purser/api/testing`); not used by the service.
import type { HoldRequest } from './budgets/hold-types';
import type { BudgetState } from './budgets/budget.service';

/** The one budget window every {@link holdRequest} holds on. */
export const HOLD_BUDGET = {
  id: '00000000-0000-4000-8000-000000000001',
  windowStart: new Date('2026-12-01T00:00:00Z'),
  windowEnd: null,
  spent: '0',
  reserved: '0',
} as unknown as BudgetState;

/** Hold number `index`: $0.01 on {@link HOLD_BUDGET}, no velocity counters. */
export function holdRequest(index: number, at = new Date()): HoldRequest {
  return {
    reservationId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    decisionId: `decision-${index}`,
    amount: '0.01',
    currency: 'USD',
    budgets: [HOLD_BUDGET],
    counters: [],
    attribution: {},
    now: at,
    expiresAt: new Date(at.getTime() + 60_000),
  };
}
