import { HOLD_BUDGET, holdRequest } from '../testing';
import type { BudgetState } from './budget.service';
import { holdBatchDocument, reservationRows } from './hold-documents';

const AT = new Date('2026-11-20T10:00:00.000Z');
const OTHER_BUDGET = {
  ...HOLD_BUDGET,
  id: '00000000-0000-4000-8000-000000000002',
  windowEnd: new Date('2026-12-02T00:00:00Z'),
} as BudgetState;
const counter = (limitId: string, amount: string) => ({
  limitId,
  scopeValue: 'team-a',
  windowStart: AT,
  amount,
  limit: '10',
});

describe('holdBatchDocument', () => {
  it('should name each distinct window and counter once, and point each hold at them by position', () => {
    const first = { ...holdRequest(1, AT), counters: [counter('limit-1', '1')] };
    const second = {
      ...holdRequest(2, AT),
      budgets: [HOLD_BUDGET, OTHER_BUDGET],
      counters: [counter('limit-1', '2'), counter('limit-2', '3')],
    };
    const document = holdBatchDocument([first, second], false);
    expect(document).toEqual({
      holds: reservationRows([first, second]),
      windows: [
        { budget_id: HOLD_BUDGET.id, window_start: '2026-12-01T00:00:00.000Z', window_end: null },
        {
          budget_id: OTHER_BUDGET.id,
          window_start: '2026-12-01T00:00:00.000Z',
          window_end: '2026-12-02T00:00:00.000Z',
        },
      ],
      hold_windows: [
        { hold: 1, budget_window: 1 },
        { hold: 2, budget_window: 1 },
        { hold: 2, budget_window: 2 },
      ],
      counters: [
        { limit_id: 'limit-1', scope_value: 'team-a', window_start: AT.toISOString() },
        { limit_id: 'limit-2', scope_value: 'team-a', window_start: AT.toISOString() },
      ],
      hold_counters: [
        { hold: 1, counter: 1, amount: '1', limit_amount: '10' },
        { hold: 2, counter: 1, amount: '2', limit_amount: '10' },
        { hold: 2, counter: 2, amount: '3', limit_amount: '10' },
      ],
      sync_commit: false,
    });
  });

  it('should write each reservation as the reservations table names its columns', () => {
    const request = { ...holdRequest(3, AT), attribution: { team: 'a' }, keyId: 'key-1' };
    expect(reservationRows([request, holdRequest(4, AT)])).toEqual([
      {
        id: request.reservationId,
        decision_id: 'decision-3',
        amount: '0.01',
        currency: 'USD',
        attribution: { team: 'a' },
        created_at: AT.toISOString(),
        expires_at: '2026-11-20T10:01:00.000Z',
        key_id: 'key-1',
      },
      expect.objectContaining({ id: holdRequest(4, AT).reservationId, key_id: null }),
    ]);
  });
});
