import fc from 'fast-check';
import { Money } from '@purser/pricing';
import {
  attributionText,
  chargebackCsv,
  STATEMENT_HEADER,
  type StatementLine,
  type StatementSource,
} from './chargeback-csv';
import { parseCsv } from './chargeback-csv-testing';

const render = (source: StatementSource) => parseCsv([...chargebackCsv(source)].join(''));
const column = (name: (typeof STATEMENT_HEADER)[number]) => STATEMENT_HEADER.indexOf(name);

const SEARCH = { code: 'CC-SEARCH', name: 'Search, "core"', glAccount: '6100' };
const ADS = { code: 'CC-ADS', name: 'Ads', glAccount: null };

describe('chargebackCsv', () => {
  it('should state each cost center: its lines, then a total, quoted as RFC 4180 asks', () => {
    const records = render({
      month: '2026-11',
      currency: 'USD',
      costCenters: [SEARCH, ADS],
      includeUnallocated: true,
      lines: [
        {
          costCenter: 'CC-SEARCH',
          kind: 'shared',
          rule: 'evals, split',
          attribution: { feature: 'evals' },
          amount: '0.333333',
        },
        {
          costCenter: 'CC-SEARCH',
          kind: 'direct',
          rule: 'search',
          attribution: { team: 'search' },
          amount: '10.004',
        },
        {
          costCenter: 'CC-ADS',
          kind: 'prior-period-adjustment',
          priorPeriod: '2026-10',
          rule: null,
          attribution: null,
          amount: '-0.5',
        },
        {
          costCenter: null,
          kind: 'unallocated',
          rule: null,
          attribution: { team: 'x' },
          amount: '1.23456',
        },
      ],
    });
    expect(records).toEqual([
      [...STATEMENT_HEADER],
      [
        '2026-11',
        'USD',
        'CC-SEARCH',
        'Search, "core"',
        '6100',
        'direct',
        '',
        'search',
        '{"team":"search"}',
        '10.004',
        '10.01',
      ],
      [
        '2026-11',
        'USD',
        'CC-SEARCH',
        'Search, "core"',
        '6100',
        'shared',
        '',
        'evals, split',
        '{"feature":"evals"}',
        '0.333333',
        '0.33',
      ],
      [
        '2026-11',
        'USD',
        'CC-SEARCH',
        'Search, "core"',
        '6100',
        'total',
        '',
        '',
        '',
        '10.337333',
        '10.34',
      ],
      [
        '2026-11',
        'USD',
        'CC-ADS',
        'Ads',
        '',
        'prior-period-adjustment',
        '2026-10',
        '',
        '',
        '-0.5',
        '-0.50',
      ],
      ['2026-11', 'USD', 'CC-ADS', 'Ads', '', 'total', '', '', '', '-0.5', '-0.50'],
      ['2026-11', 'USD', '', '', '', 'unallocated', '', '', '{"team":"x"}', '1.23456', '1.23'],
      ['2026-11', 'USD', '', '', '', 'total', '', '', '', '1.23456', '1.23'],
    ]);
  });

  it('should leave unallocated cost out of one cost center’s statement', () => {
    const records = render({
      month: '2026-11',
      currency: 'JPY',
      costCenters: [SEARCH],
      includeUnallocated: false,
      lines: [
        { costCenter: 'CC-SEARCH', kind: 'direct', rule: 'r', attribution: null, amount: '120.6' },
        { costCenter: null, kind: 'unallocated', rule: null, attribution: null, amount: '5' },
      ],
    });
    expect(
      records.slice(1).map((record) => [record[column('kind')], record[column('amount_rounded')]]),
    ).toEqual([
      ['direct', '121'],
      ['total', '121'],
    ]);
  });

  it('should give a listed cost center without cost a zero total, and state an unlisted one', () => {
    const records = render({
      month: '2026-11',
      currency: 'KWD',
      costCenters: [ADS],
      includeUnallocated: false,
      lines: [{ costCenter: 'CC-NEW', kind: 'direct', rule: 'r', attribution: null, amount: '2' }],
    });
    expect(
      records
        .slice(1)
        .map((record) => record.slice(2, 3).concat(record.slice(5, 6), record.slice(9))),
    ).toEqual([
      ['CC-ADS', 'total', '0', '0.000'],
      ['CC-NEW', 'direct', '2', '2.000'],
      ['CC-NEW', 'total', '2', '2.000'],
    ]);
  });

  it('should refuse a currency that is not an ISO 4217 code', () => {
    expect(() => [
      ...chargebackCsv({
        month: '2026-11',
        currency: 'usd',
        costCenters: [],
        lines: [],
        includeUnallocated: true,
      }),
    ]).toThrow(/ISO 4217/);
  });

  const lineArbitrary = fc.record({
    costCenter: fc.constantFrom('CC-A', 'CC-B', 'CC,"C"'),
    kind: fc.constantFrom('direct', 'shared', 'true-up', 'prior-period-adjustment') as fc.Arbitrary<
      StatementLine['kind']
    >,
    rule: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    attribution: fc.option(
      fc.dictionary(fc.constantFrom('team', 'feature'), fc.string({ maxLength: 6 })),
      { nil: null },
    ),
    amount: fc
      .tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.nat({ max: 9 }))
      .map(([units, scale]) => new Money(units).dividedBy(new Money(10).pow(scale)).toFixed()),
  });

  it('should round every statement so its rounded lines sum to its rounded total, in any line order', () => {
    fc.assert(
      fc.property(
        fc.array(lineArbitrary, { maxLength: 30 }),
        fc.constantFrom('USD', 'JPY', 'BHD'),
        fc.infiniteStream(fc.nat()),
        (lines, currency, shuffle) => {
          const source = {
            month: '2026-11',
            currency,
            costCenters: [],
            lines,
            includeUnallocated: false,
          };
          const records = render(source);
          const totals = new Map<
            string,
            { exact: InstanceType<typeof Money>; rounded: InstanceType<typeof Money> }
          >();
          for (const record of records.slice(1)) {
            const code = record[column('cost_center')];
            const entry = totals.get(code) ?? { exact: new Money(0), rounded: new Money(0) };
            if (record[column('kind')] === 'total') {
              expect(new Money(record[column('amount')]).equals(entry.exact)).toBe(true);
              expect(new Money(record[column('amount_rounded')]).equals(entry.rounded)).toBe(true);
              totals.delete(code);
            } else {
              totals.set(code, {
                exact: entry.exact.plus(record[column('amount')]),
                rounded: entry.rounded.plus(record[column('amount_rounded')]),
              });
            }
          }
          expect(totals.size).toBe(0);
          const keys = [...shuffle.take(lines.length)];
          const shuffled = lines
            .map((line, index) => ({ line, key: keys[index] }))
            .sort((a, b) => a.key - b.key)
            .map(({ line }) => line);
          expect(render({ ...source, lines: shuffled })).toEqual(records);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('attributionText', () => {
  it('should write keys sorted and leave out empty values', () => {
    expect(attributionText({ team: 'a', customer: null, feature: 'b', user: undefined })).toBe(
      '{"feature":"b","team":"a"}',
    );
    expect(attributionText({ customer: null })).toBeNull();
  });
});
