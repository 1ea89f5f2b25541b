import type { DataSource } from 'typeorm';
import { holdRequest } from '../testing';
import { BudgetLedger } from './budget-ledger';
import type { HoldBatchDocument } from './hold-documents';

const AT = new Date('2026-11-20T10:00:00.000Z');

const request = (index: number) => holdRequest(index, AT);

/** A data source whose hold statement fails with `failures` first, then places every hold. */
function flakyDataSource(failures: unknown[]) {
  const statements: number[] = [];
  const flushes: unknown[] = [];
  const dataSource = {
    async query(_sql: string, params: unknown[]) {
      const batch = JSON.parse(params[0] as string) as HoldBatchDocument;
      statements.push(batch.holds.length);
      // Whether the commit waits for the WAL flush.
      flushes.push(batch.sync_commit);
      const failure = failures.shift();
      if (failure) throw failure;
      return batch.holds.map(() => ({
        o_refused: null,
        o_spent: ['0'],
        o_reserved: ['0'],
        o_counted: [],
      }));
    },
  } as unknown as DataSource;
  return { dataSource, statements, flushes };
}

describe('BudgetLedger batching', () => {
  it('should ask a batch again after a deadlock or a serialization failure, and answer every hold', async () => {
    const { dataSource, statements } = flakyDataSource([
      Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      Object.assign(new Error('could not serialize access'), { code: '40001' }),
    ]);
    const ledger = new BudgetLedger(dataSource);
    const results = await Promise.all([0, 1, 2].map((index) => ledger.hold(request(index))));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(statements.length).toBeGreaterThanOrEqual(3);
  });

  it('should ask for the WAL flush on commit unless told not to (PURSER_HOLD_SYNC_COMMIT)', async () => {
    const durable = flakyDataSource([]);
    await new BudgetLedger(durable.dataSource).hold(request(0));
    const fast = flakyDataSource([]);
    await new BudgetLedger(fast.dataSource, { syncCommit: false }).hold(request(0));
    expect([durable.flushes, fast.flushes]).toEqual([[true], [false]]);
  });

  it('should give up after three deadlocks in a row and reject the batch', async () => {
    const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const { dataSource } = flakyDataSource([deadlock(), deadlock(), deadlock()]);
    const ledger = new BudgetLedger(dataSource);
    await expect(ledger.hold(request(0))).rejects.toThrow('deadlock detected');
  });

  it('should reject every hold of a batch the database cannot take (an outage), without retrying them one by one', async () => {
    const outage = () => Object.assign(new Error('Connection terminated'), { code: '57P01' });
    const { dataSource, statements } = flakyDataSource([outage(), outage(), outage(), outage()]);
    const ledger = new BudgetLedger(dataSource);
    const settled = await Promise.allSettled(
      [0, 1, 2, 3].map((index) => ledger.hold(request(index))),
    );
    expect(settled.every((result) => result.status === 'rejected')).toBe(true);
    // One statement in flight: the first alone, the rest together.
    expect(statements).toEqual([1, 3]);
    expect(statements.reduce((sum, size) => sum + size, 0)).toBe(4);
  });
});

describe('BudgetLedger settlement', () => {
  const priced = (cost: string) =>
    ({
      event: { decisionId: undefined, attribution: { team: 'a' }, timestamp: AT },
      costTotal: cost,
      cost: { currency: 'USD' },
    }) as never;

  const recording = () => {
    const statements: { sql: string; params: unknown[] }[] = [];
    const manager = {
      async query(sql: string, params: unknown[]) {
        statements.push({ sql, params });
        return [];
      },
    };
    return { statements, manager: manager as never };
  };

  it.each([
    [false, 0],
    [true, 1],
  ])(
    'with a budget somewhere = %s, should join the usage with the budgets %i time(s)',
    async (anyBudget, joins) => {
      const ledger = new BudgetLedger({} as DataSource, {
        syncCommit: true,
        anyBudget: async () => anyBudget,
      });
      const { statements, manager } = recording();
      await ledger.settle(manager, [priced('0.5'), priced('0')], AT);
      expect(statements.filter(({ sql }) => sql.includes('JOIN budgets'))).toHaveLength(joins);
    },
  );

  it('should send the usage as one row per attribution, currency and second, costs summed, zero costs left out', async () => {
    const ledger = new BudgetLedger({} as DataSource, { syncCommit: true });
    const { statements, manager } = recording();
    const at = (ms: number, team: string, cost: string) =>
      ({
        event: {
          decisionId: undefined,
          attribution: { team },
          timestamp: new Date(AT.getTime() + ms),
        },
        costTotal: cost,
        cost: { currency: 'USD' },
      }) as never;
    await ledger.settle(
      manager,
      [
        at(0, 'a', '0.25'),
        at(999, 'a', '0.5'),
        at(1000, 'a', '1'),
        at(10, 'b', '2'),
        at(20, 'b', '0'),
      ],
      AT,
    );
    expect(statements).toHaveLength(1);
    expect(JSON.parse(statements[0]!.params[0] as string)).toEqual([
      [{ team: 'a' }, '2026-11-20T10:00:00.000Z', '0.75', 'USD'],
      [{ team: 'a' }, '2026-11-20T10:00:01.000Z', '1', 'USD'],
      [{ team: 'b' }, '2026-11-20T10:00:00.000Z', '2', 'USD'],
    ]);
  });

  it('should not touch the budgets when no event costs anything and no hold was settled', async () => {
    const ledger = new BudgetLedger({} as DataSource, { syncCommit: true });
    const { statements, manager } = recording();
    expect(await ledger.settle(manager, [priced('0'), priced('0.000')], AT)).toBeUndefined();
    expect(statements).toEqual([]);
  });
});

describe('BudgetLedger settlement and the decision caches', () => {
  it('should tell the caches which windows moved only once the caller runs what settle answers (after commit)', async () => {
    const manager = {
      async query(sql: string) {
        if (sql.includes('INSERT INTO budget_windows'))
          return [{ budget_id: 'b', window_start: AT.toISOString() }];
        return [];
      },
    };
    const ledger = new BudgetLedger({} as DataSource);
    const moved: { budgetId: string; windowStart: Date }[][] = [];
    ledger.onWindowsMoved((windows) => moved.push(windows));
    const after = await ledger.settle(
      manager as never,
      [
        {
          event: { decisionId: undefined, attribution: { team: 'a' }, timestamp: AT },
          costTotal: '0.5',
          cost: { currency: 'USD' },
        } as never,
      ],
      AT,
    );
    expect(moved).toEqual([]);
    after!();
    expect(moved).toEqual([[{ budgetId: 'b', windowStart: AT }]]);
  });
});
