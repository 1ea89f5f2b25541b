import { BudgetCache, DEFINITIONS_TTL_MS, withCounters } from './budget-cache';
import { type Scope, scopeApplies, scopeRank, type WireAttribution } from '../attribution/scope';
import type { BudgetService, BudgetState } from './budget.service';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

/** A daily UTC budget definition; the fake service gives it the window of each asked instant. */
interface FakeBudget {
  id: string;
  scope: Scope;
  limit?: string;
}

/**
 * A BudgetService answering `all(at)` from a mutable list of definitions, with the daily
 * window containing `at` and counters per (budget, window) that a test may set. Each load
 * can be held open (`hold()`) to observe concurrent callers.
 */
function fakeBudgets(initial: FakeBudget[]) {
  const definitions = [...initial];
  const counters = new Map<string, { spent: string; reserved: string }>();
  let gate: Promise<void> | undefined;
  const calls: Date[] = [];
  const windowStart = (at: Date) => new Date(Math.floor(at.getTime() / DAY) * DAY);
  const service = {
    async all(at: Date): Promise<BudgetState[]> {
      calls.push(at);
      if (gate) await gate;
      const start = windowStart(at);
      return definitions.map((definition) => {
        const { spent, reserved } = counters.get(`${definition.id}|${start.getTime()}`) ?? {
          spent: '0',
          reserved: '0',
        };
        const limit = definition.limit ?? '10';
        return {
          id: definition.id,
          name: `budget ${definition.id}`,
          scope: definition.scope,
          period: 'daily',
          timezone: 'UTC',
          limit,
          currency: 'USD',
          mode: 'block',
          softThresholds: [],
          downgradeChain: [],
          windowStart: start,
          windowEnd: new Date(start.getTime() + DAY),
          spent,
          reserved,
          remaining: String(Number(limit) - Number(spent) - Number(reserved)),
          createdAt: new Date(T0 - DAY),
        };
      });
    },
  };
  return {
    service: service as unknown as BudgetService,
    definitions,
    calls,
    setCounters(id: string, at: Date, spent: string, reserved = '0') {
      counters.set(`${id}|${windowStart(at).getTime()}`, { spent, reserved });
    },
    /** Holds every load until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

function setup(definitions: FakeBudget[], stalenessMs = 500) {
  let now = T0;
  const fake = fakeBudgets(definitions);
  const refreshErrors: unknown[] = [];
  const cache = new BudgetCache(
    fake.service,
    stalenessMs,
    () => now,
    (error) => refreshErrors.push(error),
  );
  return {
    ...fake,
    cache,
    refreshErrors,
    advance(ms: number) {
      now += ms;
    },
    ids: async (attribution: WireAttribution, at = new Date(T0)) =>
      (await cache.applicable(attribution, at)).budgets.map((budget) => budget.id),
  };
}

describe('BudgetCache', () => {
  describe('scope matching', () => {
    const definitions: FakeBudget[] = [
      { id: 'org-2', scope: {} },
      { id: 'org-1', scope: {} },
      { id: 'team-a', scope: { team: 'a' } },
      { id: 'team-a-2', scope: { team: 'a' } },
      { id: 'team-b', scope: { team: 'b' } },
      { id: 'feature-chat', scope: { feature: 'chat' } },
      { id: 'customer-acme', scope: { customer: 'acme' } },
      { id: 'acme-chat', scope: { customer: 'acme', feature: 'chat' } },
      { id: 'a-chat', scope: { team: 'a', feature: 'chat' } },
      { id: 'key-1', scope: { virtual_key: 'vk-1' } },
      { id: 'a-prod-agent', scope: { team: 'a', environment: 'prod', agent: 'bot' } },
    ];

    it('should apply an org budget ({} scope) to every attribution, and nothing else to none', async () => {
      const { ids } = setup(definitions);
      expect(await ids({})).toEqual(['org-1', 'org-2']);
      expect(await ids({ team: 'zzz', session: 's-1', request_path: '/x' })).toEqual([
        'org-1',
        'org-2',
      ]);
    });

    it('should apply a team budget only to its own team', async () => {
      const { ids } = setup(definitions);
      expect(await ids({ team: 'a' })).toEqual(['org-1', 'org-2', 'team-a', 'team-a-2']);
      expect(await ids({ team: 'b' })).toEqual(['org-1', 'org-2', 'team-b']);
      expect(await ids({ team: 'c' })).toEqual(['org-1', 'org-2']);
      // The value of another key does not stand in for the team.
      expect(await ids({ feature: 'a' })).toEqual(['org-1', 'org-2']);
    });

    it('should apply a {customer, feature} budget only when both match', async () => {
      const { ids } = setup(definitions);
      expect(await ids({ customer: 'acme' })).toEqual(['org-1', 'org-2', 'customer-acme']);
      expect(await ids({ feature: 'chat' })).toEqual(['org-1', 'org-2', 'feature-chat']);
      expect(await ids({ customer: 'acme', feature: 'search' })).toEqual([
        'org-1',
        'org-2',
        'customer-acme',
      ]);
      expect(await ids({ customer: 'other', feature: 'chat' })).toEqual([
        'org-1',
        'org-2',
        'feature-chat',
      ]);
      expect(await ids({ customer: 'acme', feature: 'chat' })).toEqual([
        'org-1',
        'org-2',
        'feature-chat',
        'customer-acme',
        'acme-chat',
      ]);
    });

    it('should order widest scope first (org → team → feature → customer → …), then by id', async () => {
      const { ids } = setup(definitions);
      expect(
        await ids({
          team: 'a',
          feature: 'chat',
          customer: 'acme',
          environment: 'prod',
          agent: 'bot',
          virtual_key: 'vk-1',
        }),
      ).toEqual([
        'org-1',
        'org-2',
        'team-a',
        'team-a-2',
        'feature-chat',
        'customer-acme',
        'key-1',
        'a-chat',
        'acme-chat',
        'a-prod-agent',
      ]);
    });

    it('should match exactly the budgets the database would (scope contained in the attribution)', async () => {
      const { cache } = setup(definitions);
      const values = {
        team: ['a', 'b', 'c', undefined],
        feature: ['chat', 'search', undefined],
        customer: ['acme', undefined],
        environment: ['prod', undefined],
        agent: ['bot', undefined],
        virtual_key: ['vk-1', 'vk-2', undefined],
      };
      const attributions: WireAttribution[] = [{}];
      for (const [key, options] of Object.entries(values)) {
        const next: WireAttribution[] = [];
        for (const attribution of attributions)
          for (const value of options)
            next.push(value === undefined ? attribution : { ...attribution, [key]: value });
        attributions.splice(0, attributions.length, ...next);
      }
      expect(attributions.length).toBe(4 * 3 * 2 * 2 * 2 * 3);
      for (const attribution of attributions) {
        const expected = definitions
          .filter((definition) => scopeApplies(definition.scope, attribution))
          .sort(
            (left, right) =>
              scopeRank(left.scope) - scopeRank(right.scope) || left.id.localeCompare(right.id),
          )
          .map((definition) => definition.id);
        const { budgets } = await cache.applicable(attribution, new Date(T0));
        expect({ attribution, ids: budgets.map((budget) => budget.id) }).toEqual({
          attribution,
          ids: expected,
        });
      }
    });

    it('should answer nothing, not stale, when there are no budgets', async () => {
      const { cache, calls } = setup([]);
      expect(await cache.applicable({ team: 'a' }, new Date(T0))).toEqual({
        budgets: [],
        stale: false,
      });
      expect(await cache.applicable({ team: 'a' }, new Date(T0))).toEqual({
        budgets: [],
        stale: false,
      });
      expect(calls).toHaveLength(1);
      // No budgets: nothing bounds the set in time, so later instants answer from memory too.
      expect(await cache.applicable({ team: 'a' }, new Date(T0 + 1))).toEqual({
        budgets: [],
        stale: false,
      });
      expect(await cache.applicable({ team: 'a' }, new Date(T0 + 3 * DAY))).toEqual({
        budgets: [],
        stale: false,
      });
      expect(calls).toHaveLength(1);
    });
  });

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
