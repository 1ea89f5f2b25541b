import { DEFINITIONS_TTL_MS } from './budget-cache';
import type { BudgetService } from './budget.service';
import { DAY, T0, setup } from './budget-cache-testing';

describe('BudgetCache', () => {
  describe('definitions', () => {
    it('should load once and answer from memory until invalidated, then reload', async () => {
      const { ids, calls, definitions, cache } = setup([{ id: 'team-a', scope: { team: 'a' } }]);
      expect(await ids({ team: 'a' })).toEqual(['team-a']);
      definitions.push({ id: 'team-a-new', scope: { team: 'a' } });
      expect(await ids({ team: 'a' })).toEqual(['team-a']);
      expect(calls).toHaveLength(1);

      cache.invalidate();
      expect(await ids({ team: 'a' })).toEqual(['team-a', 'team-a-new']);
      expect(calls).toHaveLength(2);

      definitions.splice(0, 1);
      cache.invalidate();
      expect(await ids({ team: 'a' })).toEqual(['team-a-new']);
      expect(calls).toHaveLength(3);
    });

    it('should reload when the instant passes the end of a window, and answer the new window', async () => {
      const { cache, calls, setCounters } = setup([{ id: 'daily', scope: {} }]);
      const today = new Date(T0);
      const endOfDay = new Date(Math.ceil(T0 / DAY) * DAY);
      setCounters('daily', today, '7');

      const first = await cache.applicable({}, today);
      expect(first.budgets[0]).toMatchObject({ spent: '7', windowEnd: endOfDay });
      // Still inside the window (its last millisecond): no reload.
      await cache.applicable({}, new Date(endOfDay.getTime() - 1));
      expect(calls).toHaveLength(1);

      const next = await cache.applicable({}, endOfDay);
      expect(calls).toHaveLength(2);
      expect(calls[1]).toEqual(endOfDay);
      expect(next.budgets[0]).toMatchObject({
        windowStart: endOfDay,
        windowEnd: new Date(endOfDay.getTime() + DAY),
        spent: '0',
        remaining: '10',
      });
      expect(next.stale).toBe(false);
    });

    it('should reload for an instant before the loaded window', async () => {
      const { cache, calls } = setup([{ id: 'daily', scope: {} }]);
      await cache.applicable({}, new Date(T0));
      const yesterday = new Date(T0 - DAY);
      const earlier = await cache.applicable({}, yesterday);
      expect(calls).toHaveLength(2);
      expect(earlier.budgets[0]!.windowStart).toEqual(new Date(Math.floor(T0 / DAY) * DAY - DAY));
    });

    it(`should reload in the background past half of DEFINITIONS_TTL_MS (${DEFINITIONS_TTL_MS} ms), without a notification`, async () => {
      const { ids, calls, definitions, advance } = setup([{ id: 'org', scope: {} }]);
      expect(await ids({})).toEqual(['org']);
      definitions.push({ id: 'org-new', scope: {} });

      advance(DEFINITIONS_TTL_MS / 2 - 1);
      expect(await ids({})).toEqual(['org']);
      expect(calls).toHaveLength(1);

      // Half-way: answered at once from the old set while the reload runs.
      advance(1);
      expect(await ids({})).toEqual(['org']);
      expect(calls).toHaveLength(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await ids({})).toEqual(['org', 'org-new']);
      expect(calls).toHaveLength(2);
    });

    it('should wait for a reload once DEFINITIONS_TTL_MS has passed', async () => {
      const { cache, calls, definitions, advance, hold } = setup([{ id: 'org', scope: {} }]);
      await cache.applicable({}, new Date(T0));
      definitions.push({ id: 'org-new', scope: {} });
      advance(DEFINITIONS_TTL_MS);
      const open = hold();
      let answered = false;
      const answer = cache.applicable({}, new Date(T0)).then((result) => {
        answered = true;
        return result;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(false);
      open();
      expect((await answer).budgets.map((budget) => budget.id)).toEqual(['org', 'org-new']);
      expect(calls).toHaveLength(2);
    });

    it('should share one load between concurrent callers', async () => {
      const { cache, calls, hold } = setup([
        { id: 'org', scope: {} },
        { id: 'team-a', scope: { team: 'a' } },
      ]);
      const open = hold();
      const answers = Promise.all([
        cache.applicable({ team: 'a' }, new Date(T0)),
        cache.applicable({ team: 'b' }, new Date(T0 + 1)),
        cache.applicable({}, new Date(T0 + 2)),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toHaveLength(1);
      open();
      const [a, b, none] = await answers;
      expect(calls).toHaveLength(1);
      expect(a.budgets.map((budget) => budget.id)).toEqual(['org', 'team-a']);
      expect(b.budgets.map((budget) => budget.id)).toEqual(['org']);
      expect(none.budgets.map((budget) => budget.id)).toEqual(['org']);
      // And the shared load is kept for the next caller.
      await cache.applicable({ team: 'a' }, new Date(T0));
      expect(calls).toHaveLength(1);
    });

    it('should not keep a load that an invalidation overtook', async () => {
      const { cache, calls, hold, definitions, ids } = setup([{ id: 'org', scope: {} }]);
      const open = hold();
      const during = cache.applicable({}, new Date(T0));
      await new Promise((resolve) => setImmediate(resolve));
      // A budget is created while the load is in flight: the load may have missed it.
      definitions.push({ id: 'org-new', scope: {} });
      cache.invalidate();
      open();
      await during;
      expect(await ids({})).toEqual(['org', 'org-new']);
      expect(calls).toHaveLength(2);
    });

    it('should keep answering the loaded set when a background reload fails, and say why', async () => {
      const { ids, service, advance, refreshErrors } = setup([{ id: 'org', scope: {} }]);
      expect(await ids({})).toEqual(['org']);
      (service as { all: BudgetService['all'] }).all = async () => {
        throw new Error('connection refused');
      };
      advance(DEFINITIONS_TTL_MS / 2);
      expect(await ids({})).toEqual(['org']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(refreshErrors).toEqual([new Error('connection refused')]);
      expect(await ids({})).toEqual(['org']);
    });

    it('should let the next caller retry after a failed load', async () => {
      const { cache, ids, service } = setup([{ id: 'org', scope: {} }]);
      const all = service.all.bind(service);
      let fail = true;
      (service as { all: BudgetService['all'] }).all = async (at) => {
        if (fail) {
          fail = false;
          throw new Error('connection refused');
        }
        return all(at);
      };
      await expect(cache.applicable({}, new Date(T0))).rejects.toThrow('connection refused');
      expect(await ids({})).toEqual(['org']);
    });
  });
});
