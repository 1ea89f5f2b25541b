import type { DataSource } from 'typeorm';
import { HOLD_BUDGET, holdRequest } from '../testing';
import { AllowanceWait } from './allowance-wait';
import { BudgetLedger } from './budget-ledger';
import type { HoldBatchDocument } from './hold-documents';
import type { InMemoryHolds } from './hold-types';

/**
 * A database whose hold statement answers `refusal` for every hold (null: placed), and that
 * records the windows asked to give their lent room back.
 */
function fakeDatabase(refusal: string | null) {
  const wanted: unknown[][] = [];
  const dataSource = {
    async query(sql: string, params: unknown[]) {
      if (sql.includes('allowance_wanted_at')) {
        wanted.push(params);
        return [];
      }
      const batch = JSON.parse(params[0] as string) as HoldBatchDocument;
      return batch.holds.map(() => ({
        o_refused: refusal,
        o_spent: ['0'],
        o_reserved: ['0'],
        o_counted: [],
      }));
    },
  } as unknown as DataSource;
  return { dataSource, wanted };
}

/** Allowances that place nothing in memory, wait `maxWaitMs`, and record the windows yielded. */
function fakeAllowances(maxWaitMs: number) {
  const yielded: string[] = [];
  const allowances: InMemoryHolds = {
    tryHold: () => null,
    yieldWindow: (budgetId) => void yielded.push(budgetId),
    flush: async () => undefined,
    maxWaitMs,
  };
  return { allowances, yielded };
}

describe('BudgetLedger.holdOrWait', () => {
  it('should answer a placed hold as it is, asking no room back', async () => {
    const { dataSource, wanted } = fakeDatabase(null);
    const ledger = new BudgetLedger(dataSource, { syncCommit: true });
    const attempt = await ledger.holdOrWait(holdRequest(0), new AllowanceWait());
    expect(attempt).toEqual({ waited: false, held: expect.objectContaining({ ok: true }) });
    expect(wanted).toEqual([]);
  });

  it('should answer a refusal on spent room as it is, without waiting', async () => {
    const { dataSource, wanted } = fakeDatabase(`budget:${HOLD_BUDGET.id}`);
    const ledger = new BudgetLedger(dataSource, { syncCommit: true });
    const attempt = await ledger.holdOrWait(holdRequest(0), new AllowanceWait());
    expect(attempt).toEqual({
      waited: false,
      held: expect.objectContaining({ ok: false, budgetId: HOLD_BUDGET.id }),
    });
    expect(wanted).toEqual([]);
  });

  it('should ask a budget for its lent room once per decision, and wait while within the bound', async () => {
    const { dataSource, wanted } = fakeDatabase(`budget:${HOLD_BUDGET.id}:allowances`);
    const { allowances, yielded } = fakeAllowances(60_000);
    const ledger = new BudgetLedger(dataSource, { syncCommit: true, allowances });
    const wait = new AllowanceWait();
    const started = performance.now();
    expect(await ledger.holdOrWait(holdRequest(0), wait)).toEqual({ waited: true });
    expect(await ledger.holdOrWait(holdRequest(1), wait)).toEqual({ waited: true });
    // Two waits of 25 ms (the timer may fire a millisecond early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(48);
    expect(wanted).toEqual([[HOLD_BUDGET.id, HOLD_BUDGET.windowStart.toISOString()]]);
    expect(yielded).toEqual([HOLD_BUDGET.id]);
    // Another decision asks again.
    expect(await ledger.holdOrWait(holdRequest(2), new AllowanceWait())).toEqual({ waited: true });
    expect(wanted).toHaveLength(2);
  });

  it('should answer the refusal once the wait is past its bound', async () => {
    const { dataSource, wanted } = fakeDatabase(`budget:${HOLD_BUDGET.id}:allowances`);
    const { allowances } = fakeAllowances(0);
    const ledger = new BudgetLedger(dataSource, { syncCommit: true, allowances });
    const attempt = await ledger.holdOrWait(holdRequest(0), new AllowanceWait());
    expect(attempt).toEqual({
      waited: false,
      held: expect.objectContaining({ ok: false, allowances: true, budgetId: HOLD_BUDGET.id }),
    });
    expect(wanted).toHaveLength(1);
  });
});
