import fc from 'fast-check';

import { Money } from '@purser/pricing';
import { PurserError } from '../errors';
import { badInputMessage } from '../errors-testing';
import { segmentsOf, type TimedRule } from './allocation-segments';
import { costCenter } from './allocation-plan-testing';
import type { AllocationRuleInputValue } from './allocation-types';
import { assertUniquePriorities, monthRange, validateRule } from './allocation-validate';
import { rowsOf, zeroSums, type SumsByCenter } from './chargeback-report';

const known = (code: string) =>
  code === 'CC-OFF' ? { active: false } : code.startsWith('CC-') ? { active: true } : undefined;

const base: AllocationRuleInputValue = {
  name: 'r',
  priority: 1,
  method: 'DIRECT',
  targets: [{ costCenter: 'CC-A' }],
  effectiveFrom: new Date('2026-11-01T00:00:00Z'),
};

describe('validateRule', () => {
  it('names the field of an unknown match key (YAML and preview inputs are not typed)', () => {
    const input = { ...base, match: { colour: 'red' } } as unknown as AllocationRuleInputValue;
    expect(badInputMessage(() => validateRule(input, known, { path: 'rules[3].' }))).toMatch(
      /^rules\[3\]\.match\.colour: unknown match key/,
    );
  });

  it('names the same first bad match field whatever order the keys came in', () => {
    const orders = [
      { provider: '', team: '', tags: { app: '' } },
      { tags: { app: '' }, team: '', provider: '' },
      { team: '', provider: '' },
    ];
    for (const match of orders) {
      expect(badInputMessage(() => validateRule({ ...base, match }, known))).toMatch(
        /^match\.provider: /,
      );
    }
    expect(
      badInputMessage(() =>
        validateRule({ ...base, match: { tags: { app: '' }, team: '' } }, known),
      ),
    ).toMatch(/^match\.team: /);
  });

  it('refuses a tag named __proto__ by name (dropped, the rule would match all usage)', () => {
    const tags = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    expect(badInputMessage(() => validateRule({ ...base, match: { tags } }, known))).toBe(
      'match.tags.__proto__: refused: usage events drop a tag of that name, so no rule could match it',
    );
  });

  it('drops empty match fields, keeps tags and FIXED weights as decimals', () => {
    const rule = validateRule(
      {
        ...base,
        method: 'FIXED',
        match: { team: 'a', model: null as unknown as string, tags: { app: 'x' } },
        targets: [
          { costCenter: 'CC-A', weight: '33.333' },
          { costCenter: 'CC-B', weight: '66.667' },
        ],
      },
      known,
    );
    expect(rule.match).toEqual({ team: 'a', tags: { app: 'x' } });
    expect(rule.targets).toEqual([
      { costCenter: 'CC-A', weight: '33.333' },
      { costCenter: 'CC-B', weight: '66.667' },
    ]);
  });

  it('defaults effectiveFrom to the start of the current hour', () => {
    const rule = validateRule({ ...base, effectiveFrom: null }, known, {
      now: new Date('2026-11-05T10:42:13.5Z'),
    });
    expect(rule.effectiveFrom.toISOString()).toBe('2026-11-05T10:00:00.000Z');
  });

  it('property: any generated input is accepted or refused with BAD_USER_INPUT naming a field', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
    );
    const fields = ['name', 'priority', 'match', 'method', 'targets', 'effectiveFrom'];
    const input = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 8 }), value),
        priority: fc.oneof(fc.integer({ min: -2, max: 2_000_000 }), value),
        match: fc.oneof(
          fc.record(
            {
              team: value,
              colour: fc.string({ maxLength: 3 }),
              tags: fc.oneof(value, fc.dictionary(fc.string({ maxLength: 4 }), value)),
            },
            { requiredKeys: [] },
          ),
          value,
        ),
        method: fc.oneof(fc.constantFrom('DIRECT', 'FIXED', 'EVEN', 'PROPORTIONAL'), value),
        targets: fc.oneof(
          fc.array(
            fc.oneof(
              fc.record(
                {
                  costCenter: fc.oneof(fc.constantFrom('CC-A', 'CC-B', 'CC-OFF', 'X-1'), value),
                  weight: fc.oneof(fc.constantFrom('50', '100', '0', '-1', '1e3', '33.3'), value),
                },
                { requiredKeys: [] },
              ),
              value,
            ),
            { maxLength: 4 },
          ),
          value,
        ),
        effectiveFrom: fc.oneof(
          fc.constantFrom(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T00:00:01Z')),
          value,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(input, (candidate) => {
        try {
          const rule = validateRule(candidate as unknown as AllocationRuleInputValue, known);
          expect(rule.targets.length).toBeGreaterThan(0);
          if (rule.method === 'FIXED') {
            const sum = rule.targets.reduce((total, t) => total.plus(t.weight!), new Money(0));
            expect(sum.toFixed()).toBe('100');
          }
        } catch (error) {
          expect(error).toBeInstanceOf(PurserError);
          expect((error as PurserError).code).toBe('BAD_USER_INPUT');
          const field = (error as Error).message.split(/[.:[ ]/)[0];
          expect([...fields, 'rule']).toContain(field);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('assertUniquePriorities and monthRange', () => {
  it('names the second rule holding a priority', () => {
    const rule = validateRule(base, known);
    expect(badInputMessage(() => assertUniquePriorities([rule, { ...rule, name: 'b' }]))).toBe(
      'rules[1].priority: 1 is also the priority of rules[0] ("r")',
    );
  });

  it('reads a UTC month and refuses anything else', () => {
    expect(monthRange('2026-12')).toEqual({
      month: '2026-12',
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    for (const bad of ['2026-13', '2026-1', '26-11', '', 'x']) {
      expect(badInputMessage(() => monthRange(bad))).toMatch(/^month: /);
    }
  });
});

describe('segmentsOf', () => {
  const timed = (name: string, from: string, to: string | null, deleted = false): TimedRule => ({
    rule: {
      id: name,
      version: 1,
      name,
      priority: name.length,
      match: name === 'tagged' ? { tags: { app: 'x' } } : {},
      method: 'EVEN',
      targets: [{ costCenter: 'CC-A', weight: null }],
    },
    from: new Date(from),
    to: to ? new Date(to) : null,
    deleted,
  });

  it('cuts the range where versions start or end, each segment with its rules', () => {
    const { bounds, segments, tagKeys } = segmentsOf(
      [
        timed('a', '2026-11-01T00:00:00Z', '2026-11-01T05:00:00Z'),
        timed('tagged', '2026-11-01T03:00:00Z', null),
        timed('gone', '2026-11-01T05:00:00Z', null, true),
      ],
      new Date('2026-11-01T02:00:00Z'),
      new Date('2026-11-01T08:00:00Z'),
    );
    expect(bounds.map((bound) => bound.toISOString().slice(11, 13))).toEqual(['02', '03', '05']);
    expect(segments.map((segment) => segment.rules.map((rule) => rule.name))).toEqual([
      ['a'],
      ['a', 'tagged'],
      ['tagged'],
    ]);
    expect(tagKeys).toEqual(['app']);
  });
});

describe('rowsOf', () => {
  it('adds rolled-up parent rows over the whole subtree, the parent own money included', () => {
    const centers = new Map(
      [
        costCenter('ORG', null),
        costCenter('BU', 'ORG'),
        costCenter('T1', 'BU'),
        costCenter('T2', 'BU'),
      ].map((value) => [value.code, value]),
    );
    const sums: SumsByCenter = new Map([[null, zeroSums()]]);
    sums.set('T1', { ...zeroSums(), direct: new Money('1.5') });
    sums.set('T2', { ...zeroSums(), shared: new Money('2') });
    sums.set('BU', { ...zeroSums(), direct: new Money('0.25') });
    const rows = rowsOf(sums, centers, true);
    expect(rows.map((row) => [row.costCenter, row.level, row.total, row.rolledUp])).toEqual([
      ['BU', 1, '0.25', false],
      ['BU', 1, '3.75', true],
      ['ORG', 0, '3.75', true],
      ['T1', 2, '1.5', false],
      ['T2', 2, '2', false],
    ]);
    expect(rowsOf(sums, centers, false).every((row) => !row.rolledUp)).toBe(true);
  });
});
