import fc from 'fast-check';

import { Money } from '@purser/pricing';
import {
  allocate,
  byPriority,
  compile,
  matches,
  type EngineRule,
  type UsageAggregate,
} from './allocation-engine';
import { ALLOCATION_METHODS, MATCH_KEYS, type MatchKey } from './allocation-types';

const NO_DIMS = Object.fromEntries(MATCH_KEYS.map((key) => [key, null])) as Record<
  MatchKey,
  string | null
>;

function usage(
  amount: string,
  dims: Partial<Record<MatchKey, string>> = {},
  tags: Record<string, string | null> = {},
  segment = 0,
): UsageAggregate {
  return { segment, dims: { ...NO_DIMS, ...dims }, tags, amount: new Money(amount) };
}

function rule(
  name: string,
  priority: number,
  method: EngineRule['method'],
  targets: (string | [string, string])[],
  match: EngineRule['match'] = {},
): EngineRule {
  return {
    id: name,
    version: 1,
    name,
    priority,
    match,
    method,
    targets: targets.map((target) =>
      typeof target === 'string'
        ? { costCenter: target, weight: null }
        : { costCenter: target[0], weight: new Money(target[1]) },
    ),
  };
}

const summary = (rows: UsageAggregate[], rules: EngineRule[][]) => {
  const { totals } = allocate(
    rows,
    rules.map((segment) => ({ rules: byPriority(segment) })),
  );
  return {
    rows: Object.fromEntries(
      [...totals.byCostCenter].map(([code, entry]) => [
        code,
        [entry.direct.toFixed(), entry.shared.toFixed()],
      ]),
    ),
    unallocated: totals.unallocated.toFixed(),
  };
};

describe('matches', () => {
  it('fits every given field exactly, an empty match fits all, tags by value', () => {
    const row = usage('1', { provider: 'openai', team: 'search' }, { app: 'bot' });
    expect(matches({}, row)).toBe(true);
    expect(matches({ provider: 'openai', team: 'search' }, row)).toBe(true);
    expect(matches({ provider: 'openai', team: 'Search' }, row)).toBe(false);
    expect(matches({ model: 'gpt-4o' }, row)).toBe(false);
    expect(matches({ tags: { app: 'bot' } }, row)).toBe(true);
    expect(matches({ tags: { app: 'other' } }, row)).toBe(false);
    expect(matches({ tags: { missing: 'x' } }, row)).toBe(false);
  });
});

describe('compile', () => {
  it('property: a compiled match answers what matches answers', () => {
    const value = fc.constantFrom('a', 'b', null);
    const key = fc.constantFrom(...MATCH_KEYS);
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.constantFrom('a', 'b')),
        fc.option(fc.dictionary(fc.constantFrom('app', 'env'), fc.constantFrom('x', 'y'))),
        fc.dictionary(key, value),
        fc.dictionary(fc.constantFrom('app', 'env'), fc.constantFrom('x', 'y', null)),
        (fields, tags, dims, usageTags) => {
          const match = { ...fields, ...(tags ? { tags } : {}) };
          const row = usage(
            '1',
            Object.fromEntries(Object.entries(dims).filter(([, v]) => v !== null)) as Record<
              string,
              string
            >,
            usageTags,
          );
          expect(compile(match)(row)).toBe(matches(match, row));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('allocate', () => {
  it('first match by lowest priority wins; the rest is unallocated', () => {
    const rows = [usage('10', { team: 'search' }), usage('5', { team: 'ads' }), usage('2')];
    const rules = [
      rule('catch-search', 20, 'DIRECT', ['CC-B'], { team: 'search' }),
      rule('search-first', 10, 'DIRECT', ['CC-A'], { team: 'search' }),
      rule('ads', 30, 'DIRECT', ['CC-C'], { team: 'ads' }),
    ];
    expect(summary(rows, [rules])).toEqual({
      rows: { 'CC-A': ['10', '0'], 'CC-C': ['5', '0'] },
      unallocated: '2',
    });
  });

  it('FIXED splits by percent, EVEN equally, both exact to the amount', () => {
    const rows = [usage('10', { feature: 'evals' }), usage('1', { feature: 'chat' })];
    const rules = [
      rule(
        'evals',
        1,
        'FIXED',
        [
          ['CC-A', '70'],
          ['CC-B', '30'],
        ],
        { feature: 'evals' },
      ),
      rule('chat', 2, 'EVEN', ['CC-A', 'CC-B', 'CC-C'], { feature: 'chat' }),
    ];
    expect(summary(rows, [rules])).toEqual({
      rows: {
        'CC-A': ['0', '7.333333333334'],
        'CC-B': ['0', '3.333333333333'],
        'CC-C': ['0', '0.333333333333'],
      },
      unallocated: '0',
    });
  });

  it('PROPORTIONAL follows direct cost over every segment, even when all direct is zero', () => {
    const rows = [
      usage('3', { team: 'a' }, {}, 0),
      usage('1', { team: 'b' }, {}, 1),
      usage('8', { team: 'shared' }, {}, 1),
    ];
    const direct = [
      rule('a', 1, 'DIRECT', ['CC-A'], { team: 'a' }),
      rule('b', 2, 'DIRECT', ['CC-B'], { team: 'b' }),
    ];
    const proportional = rule('shared', 3, 'PROPORTIONAL', ['CC-A', 'CC-B'], { team: 'shared' });
    expect(summary(rows, [direct, [...direct, proportional]])).toEqual({
      rows: { 'CC-A': ['3', '6'], 'CC-B': ['1', '2'] },
      unallocated: '0',
    });
    // Neither target received direct cost: even parts.
    expect(summary([usage('8', { team: 'shared' })], [[proportional]])).toEqual({
      rows: { 'CC-A': ['0', '4'], 'CC-B': ['0', '4'] },
      unallocated: '0',
    });
  });

  it('uses each segment own rules (a rule change mid-range)', () => {
    const rows = [usage('1', { team: 'a' }, {}, 0), usage('2', { team: 'a' }, {}, 1)];
    const before = [rule('r', 1, 'DIRECT', ['CC-OLD'])];
    const after = [rule('r', 1, 'DIRECT', ['CC-NEW'])];
    expect(summary(rows, [before, after])).toEqual({
      rows: { 'CC-OLD': ['1', '0'], 'CC-NEW': ['2', '0'] },
      unallocated: '0',
    });
  });

  it('property: direct + shared + unallocated = the usage, exactly, for random rule sets', () => {
    const codes = ['CC-A', 'CC-B', 'CC-C', 'CC-D'];
    const teams = ['a', 'b', 'c', null];
    const amountArb = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 16n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, places]) => new Money(units.toString()).div(new Money(10).pow(places)));
    const usageArb = fc.array(
      fc.record({
        team: fc.constantFrom(...teams),
        tag: fc.constantFrom('x', 'y', null),
        segment: fc.integer({ min: 0, max: 1 }),
        amount: amountArb,
      }),
      { maxLength: 40 },
    );
    const ruleArb = fc
      .record({
        method: fc.constantFrom(...ALLOCATION_METHODS),
        team: fc.constantFrom(...teams),
        tag: fc.constantFrom('x', null),
        targets: fc.shuffledSubarray(codes, { minLength: 1 }),
        weights: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 4, maxLength: 4 }),
      })
      .map(({ method, team, tag, targets, weights }): EngineRule => {
        const chosen = method === 'DIRECT' ? targets.slice(0, 1) : targets;
        const total = weights.slice(0, chosen.length).reduce((a, b) => a + b, 0);
        return {
          id: null,
          version: null,
          name: 'drawn',
          priority: 0,
          match: { ...(team ? { team } : {}), ...(tag ? { tags: { app: tag } } : {}) },
          method,
          targets: chosen.map((costCenter, position) => ({
            costCenter,
            weight:
              method === 'FIXED'
                ? new Money(weights[position]).times(100).div(total).toDecimalPlaces(4)
                : null,
          })),
        };
      });
    fc.assert(
      fc.property(usageArb, fc.array(ruleArb, { maxLength: 6 }), (items, drawn) => {
        const rules = drawn.map((item, index) => ({ ...item, priority: index }));
        const rows = items.map((item) =>
          usage(
            item.amount.toFixed(),
            item.team ? { team: item.team } : {},
            {
              app: item.tag,
            },
            item.segment,
          ),
        );
        const outcome = allocate(rows, [{ rules }, { rules: rules.slice(1) }]);
        const { totals } = outcome;
        let allocated = totals.unallocated;
        for (const entry of totals.byCostCenter.values()) {
          allocated = allocated.plus(entry.direct).plus(entry.shared);
        }
        const source = rows.reduce((sum, row) => sum.plus(row.amount), new Money(0));
        // FIXED weights rounded to 4 places may not sum to 100: the split still sums exactly.
        expect(allocated.toFixed()).toBe(source.toFixed());
        for (const row of rows) {
          const parts = outcome.lines.filter((line) => line.usage === row);
          const inParts = parts.reduce((sum, line) => sum.plus(line.amount), new Money(0));
          const left = outcome.unallocated.includes(row) ? row.amount : new Money(0);
          expect(inParts.plus(left).equals(row.amount)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
