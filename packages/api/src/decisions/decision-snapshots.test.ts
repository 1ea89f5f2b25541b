import type { BudgetCache } from '../budgets/budget-cache';
import type { HoldRequest, HoldResult } from '../budgets/budget-ledger';
import type { BudgetService, BudgetState } from '../budgets/budget.service';
import type { VelocityService, VelocityState } from '../velocity/velocity.service';
import { countersSeenByHold, DecisionSnapshots } from './decision-snapshots';
import { testBudget, testContext, testVelocity } from './decision-testing';

/** Sources that answer fixed counters and record what is remembered. */
function sources(options: { budgetsStale?: boolean; velocityStale?: boolean } = {}) {
  const remembered: unknown[][] = [];
  const team = testBudget();
  const org = testBudget({ id: 'b-org', spent: '1', reserved: '0' });
  const velocity = testVelocity();
  const fake = {
    budgets: { applicable: async () => [team, org] } as unknown as BudgetService,
    budgetCache: {
      applicable: async () => ({ budgets: [team], stale: options.budgetsStale ?? false }),
      observe: (...args: unknown[]) => remembered.push(['budget', ...args]),
    } as unknown as BudgetCache,
    velocity: {
      applicable: async () => [velocity],
      cachedApplicable: async () => ({
        velocity: [velocity],
        stale: options.velocityStale ?? false,
      }),
      observe: (state: VelocityState, value: string) =>
        remembered.push(['velocity', state.limit.id, value]),
    } as unknown as VelocityService,
  };
  return { fake, remembered, team, org, velocity };
}

function holdOf(budgets: BudgetState[], amount: string): HoldRequest {
  return {
    budgets,
    amount,
    counters: [{ amount: '1' }],
  } as unknown as HoldRequest;
}

describe('DecisionSnapshots', () => {
  it('should take remembered counters, not exact, and remember nothing', async () => {
    const { fake, remembered, team, velocity } = sources();
    const context = testContext();
    await expect(new DecisionSnapshots(fake).readCached(context)).resolves.toBe(true);
    expect(context.snapshot).toEqual({ budgets: [team], velocity: [velocity], exact: false });
    expect(remembered).toEqual([]);
  });

  it.each([{ budgetsStale: true }, { velocityStale: true }])(
    'should take nothing when a remembered counter is too old (%o)',
    async (staleness) => {
      const context = testContext();
      await expect(
        new DecisionSnapshots(sources(staleness).fake).readCached(context),
      ).resolves.toBe(false);
      expect(context.snapshot).toBeNull();
    },
  );

  it('should take a fresh read as exact, and remember its budget counters', async () => {
    const { fake, remembered, team, org } = sources();
    const context = testContext();
    await new DecisionSnapshots(fake).readFresh(context);
    expect(context.snapshot?.exact).toBe(true);
    expect(remembered).toEqual([
      ['budget', 'b-team', team.windowStart, '10', '5'],
      ['budget', 'b-org', org.windowStart, '1', '0'],
    ]);
  });

  it('should remember what a placed hold saw, with its own increment', () => {
    const { fake, remembered, team, velocity } = sources();
    const snapshot = { budgets: [team], velocity: [velocity], exact: false };
    const result: HoldResult = { ok: true, spent: ['11'], reserved: ['6'], counted: ['4'] };
    new DecisionSnapshots(fake).rememberHeld(snapshot, holdOf([team], '0.5'), result);
    expect(remembered).toEqual([
      ['budget', 'b-team', team.windowStart, '11', '6.5'],
      ['velocity', 'v-session', '5'],
    ]);
  });

  it('should remember what a refused hold saw, as it saw it', () => {
    const { fake, remembered, team, velocity } = sources();
    const snapshot = { budgets: [team], velocity: [velocity], exact: false };
    const result: HoldResult = { ok: false, spent: ['11'], reserved: ['6'], counted: [] };
    new DecisionSnapshots(fake).rememberHeld(snapshot, holdOf([team], '0.5'), result);
    expect(remembered).toEqual([
      ['budget', 'b-team', team.windowStart, '11', '6'],
      ['velocity', 'v-session', '3'],
    ]);
  });
});

describe('countersSeenByHold', () => {
  it('should take the counters of the budgets held and every velocity counter, exact', () => {
    const team = testBudget();
    const other = testBudget({ id: 'b-eur', currency: 'EUR' });
    const velocity = testVelocity();
    const seen = countersSeenByHold(
      { budgets: [other, team], velocity: [velocity], exact: false },
      [team],
      { ok: false, spent: ['40'], reserved: ['2'], counted: ['9'] },
    );
    expect(seen.exact).toBe(true);
    expect(seen.budgets[0]).toBe(other);
    expect(seen.budgets[1]).toMatchObject({ id: 'b-team', spent: '40', reserved: '2' });
    expect(seen.velocity).toEqual([{ ...velocity, current: '9' }]);
  });

  it('should keep a velocity counter the hold did not answer', () => {
    const velocity = testVelocity();
    const seen = countersSeenByHold({ budgets: [], velocity: [velocity], exact: false }, [], {
      ok: true,
      spent: [],
      reserved: [],
      counted: [],
    });
    expect(seen.velocity).toEqual([velocity]);
  });
});
