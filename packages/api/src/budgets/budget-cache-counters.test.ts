import { DEFINITIONS_TTL_MS, withCounters } from './budget-cache';
import { DAY, T0, fakeBudgets, setup } from './budget-cache-testing';

describe('BudgetCache', () => {
  describe('counters', () => {
    it('should answer the loaded counters, fresh right after the load', async () => {
      const { cache, setCounters } = setup([{ id: 'team-a', scope: { team: 'a' }, limit: '10' }]);
      setCounters('team-a', new Date(T0), '3', '1.5');
      expect(await cache.applicable({ team: 'a' }, new Date(T0))).toMatchObject({
        budgets: [{ id: 'team-a', spent: '3', reserved: '1.5' }],
        stale: false,
      });
    });

    it('should report counters stale once they are as old as the bound', async () => {
      const { cache, advance } = setup([{ id: 'org', scope: {} }], 500);
      await cache.applicable({}, new Date(T0));
      advance(499);
      expect((await cache.applicable({}, new Date(T0))).stale).toBe(false);
      advance(1);
      expect((await cache.applicable({}, new Date(T0))).stale).toBe(true);
    });

    it('should be fresh again right after observe, with the observed counters and remaining', async () => {
      const { cache, advance } = setup([{ id: 'org', scope: {}, limit: '10' }], 500);
      const first = await cache.applicable({}, new Date(T0));
      advance(1_000); // past the bound, within the definitions' TTL
      expect((await cache.applicable({}, new Date(T0))).stale).toBe(true);
      cache.observe('org', first.budgets[0]!.windowStart, '4.25', '0.75');
      expect(await cache.applicable({}, new Date(T0))).toMatchObject({
        budgets: [{ id: 'org', limit: '10', spent: '4.25', reserved: '0.75', remaining: '5' }],
        stale: false,
      });
    });

    it('should not let counters of another window stand in for the current one', async () => {
      const { cache, advance } = setup([{ id: 'org', scope: {} }], 500);
      const first = await cache.applicable({}, new Date(T0));
      advance(1_000);
      const yesterday = new Date(first.budgets[0]!.windowStart.getTime() - DAY);
      cache.observe('org', yesterday, '9', '0');
      cache.observe('other', first.budgets[0]!.windowStart, '9', '0');
      expect(await cache.applicable({}, new Date(T0))).toMatchObject({
        budgets: [{ id: 'org', spent: '0' }],
        stale: true,
      });
    });

    it('should be stale when one of several budgets is stale', async () => {
      const { cache, advance } = setup([
        { id: 'org', scope: {} },
        { id: 'team-a', scope: { team: 'a' } },
      ]);
      const first = await cache.applicable({ team: 'a' }, new Date(T0));
      const start = first.budgets[0]!.windowStart;
      advance(1_000);
      cache.observe('org', start, '1', '0');
      // The team-a counters are older than the bound; only a team-a request sees them.
      expect((await cache.applicable({}, new Date(T0))).stale).toBe(false);
      expect((await cache.applicable({ team: 'a' }, new Date(T0))).stale).toBe(true);
      cache.observe('team-a', start, '1', '0');
      expect((await cache.applicable({ team: 'a' }, new Date(T0))).stale).toBe(false);
    });

    it('should be stale after forget, and fresh after the next observe', async () => {
      const { cache } = setup([{ id: 'org', scope: {}, limit: '10' }]);
      const first = await cache.applicable({}, new Date(T0));
      const start = first.budgets[0]!.windowStart;
      cache.forget('org', start);
      const forgotten = await cache.applicable({}, new Date(T0));
      expect(forgotten.stale).toBe(true);
      // Without counters the definition is answered as loaded.
      expect(forgotten.budgets).toEqual([expect.objectContaining({ id: 'org', spent: '0' })]);
      cache.observe('org', start, '2', '0');
      expect(await cache.applicable({}, new Date(T0))).toMatchObject({
        budgets: [{ spent: '2', remaining: '8' }],
        stale: false,
      });
    });

    it('should always be stale with a bound of 0 (counters read for every decision)', async () => {
      const { cache } = setup([{ id: 'org', scope: {} }], 0);
      const first = await cache.applicable({}, new Date(T0));
      expect(first.stale).toBe(true);
      cache.observe('org', first.budgets[0]!.windowStart, '1', '0');
      expect((await cache.applicable({}, new Date(T0))).stale).toBe(true);
    });

    it('should never be stale for no budgets', async () => {
      const { cache, advance } = setup([{ id: 'team-a', scope: { team: 'a' } }], 0);
      await cache.applicable({ team: 'a' }, new Date(T0));
      advance(1_000);
      expect(await cache.applicable({ team: 'b' }, new Date(T0))).toEqual({
        budgets: [],
        stale: false,
      });
    });

    it('should keep counters a hold answered while a reload was reading', async () => {
      const { cache, setCounters, advance, hold } = setup([{ id: 'org', scope: {} }]);
      const first = await cache.applicable({}, new Date(T0));
      setCounters('org', new Date(T0), '6', '0');
      advance(DEFINITIONS_TTL_MS);
      const open = hold();
      const reloaded = cache.applicable({}, new Date(T0));
      await new Promise((resolve) => setImmediate(resolve));
      advance(10);
      cache.observe('org', first.budgets[0]!.windowStart, '7', '1');
      open();
      await reloaded;
      expect(await cache.applicable({}, new Date(T0))).toMatchObject({
        budgets: [{ spent: '7', reserved: '1' }],
        stale: false,
      });
    });

    it('should take the counters of a reload over older observations', async () => {
      const { cache, setCounters, advance } = setup([{ id: 'org', scope: {} }]);
      const first = await cache.applicable({}, new Date(T0));
      cache.observe('org', first.budgets[0]!.windowStart, '1', '0');
      setCounters('org', new Date(T0), '6', '0');
      advance(DEFINITIONS_TTL_MS);
      expect(await cache.applicable({}, new Date(T0))).toMatchObject({
        budgets: [{ spent: '6' }],
        stale: false,
      });
    });
  });
});

describe('withCounters', () => {
  it('should keep every field but the counters, and work out remaining from them', async () => {
    const [state] = await fakeBudgets([{ id: 'org', scope: {}, limit: '10' }]).service.all(
      new Date(T0),
    );
    const counted = withCounters(state!, '4.25', '0.75');
    expect(Object.keys(counted).sort()).toEqual(Object.keys(state!).sort());
    expect({ ...counted }).toEqual({ ...state, spent: '4.25', reserved: '0.75', remaining: '5' });
    expect(withCounters(counted, '10', '1').remaining).toBe('0');
    expect(withCounters(state!, state!.spent, state!.reserved)).toBe(state);
  });
});
