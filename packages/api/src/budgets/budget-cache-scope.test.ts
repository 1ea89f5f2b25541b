import { scopeApplies, scopeRank, type WireAttribution } from '../attribution/scope';
import { DAY, type FakeBudget, setup, T0 } from './budget-cache-testing';

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
});
