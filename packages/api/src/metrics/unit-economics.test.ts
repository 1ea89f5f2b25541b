import fc from 'fast-check';
import { Money } from '@purser/pricing';
import {
  grossMarginRows,
  joinUnitEconomics,
  marginOf,
  metricCurrency,
  ratio,
} from './unit-economics';
import { UnitEconomicsService } from './unit-economics.service';

describe('joinUnitEconomics', () => {
  it('should join groups from either side, ordered, with null for a zero metric', () => {
    const rows = joinUnitEconomics(
      ['feature'],
      [
        { dimensions: { feature: 'search' }, cost: '3.00' },
        { dimensions: { feature: null }, cost: '1' },
        { dimensions: { feature: 'bot' }, cost: '10' },
      ],
      [
        { dimensions: { feature: 'bot' }, value: '4', currency: null },
        { dimensions: { feature: 'mail' }, value: '2', currency: null },
      ],
    );
    expect(rows).toEqual([
      { dimensions: { feature: 'bot' }, cost: '10', metricValue: '4', costPerUnit: '2.5' },
      { dimensions: { feature: 'mail' }, cost: '0', metricValue: '2', costPerUnit: '0' },
      { dimensions: { feature: 'search' }, cost: '3', metricValue: '0', costPerUnit: null },
      { dimensions: { feature: null }, cost: '1', metricValue: '0', costPerUnit: null },
    ]);
  });

  it('should answer null, not an error, when the metric sums to zero', () => {
    const rows = joinUnitEconomics(
      [],
      [{ dimensions: {}, cost: '5' }],
      [{ dimensions: {}, value: '0', currency: null }],
    );
    expect(rows).toEqual([{ dimensions: {}, cost: '5', metricValue: '0', costPerUnit: null }]);
  });

  it('should keep the cost of every group exactly (generated)', () => {
    const amount = fc
      .tuple(fc.nat(10_000_000), fc.nat(999_999_999))
      .map(([whole, part]) => `${whole}.${String(part).padStart(9, '0')}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 20 }),
        fc.array(amount, { minLength: 20, maxLength: 20 }),
        fc.array(amount, { minLength: 20, maxLength: 20 }),
        (teams, costs, values) => {
          const costRows = teams.map((team, index) => ({
            dimensions: { team },
            cost: costs[index]!,
          }));
          const metricRows = teams
            .filter((_, index) => index % 2 === 0)
            .map((team, index) => ({
              dimensions: { team },
              value: values[index]!,
              currency: null,
            }));
          const rows = joinUnitEconomics(['team'], costRows, metricRows);
          const total = (list: string[]) => list.reduce((sum, x) => sum.plus(x), new Money(0));
          expect(
            total(rows.map((row) => row.cost)).equals(total(costs.slice(0, teams.length))),
          ).toBe(true);
          for (const row of rows) {
            if (new Money(row.metricValue).isZero()) expect(row.costPerUnit).toBeNull();
            else
              expect(
                new Money(row.costPerUnit!)
                  .minus(new Money(row.cost).div(row.metricValue))
                  .abs()
                  .lte('0.5e-20'),
              ).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ratio', () => {
  it('should round half to even at the scale and answer null on zero', () => {
    expect(ratio('1', '3', 4)).toBe('0.3333');
    expect(ratio('0.00005', '1', 4)).toBe('0');
    expect(ratio('0.00015', '1', 4)).toBe('0.0002');
    expect(ratio('1', '0', 4)).toBeNull();
    expect(ratio('1', '0.000', 4)).toBeNull();
  });
});

describe('metricCurrency', () => {
  it('should answer the one currency, or null when none', () => {
    expect(metricCurrency('revenue', [])).toBeNull();
    expect(
      metricCurrency('revenue', [
        { dimensions: {}, value: '1', currency: 'USD' },
        { dimensions: {}, value: '2', currency: 'USD' },
      ]),
    ).toBe('USD');
  });

  it('should refuse values in two currencies, or with and without one', () => {
    expect(() =>
      metricCurrency('revenue', [
        { dimensions: {}, value: '1', currency: 'USD' },
        { dimensions: {}, value: '2', currency: 'EUR' },
      ]),
    ).toThrow('metric "revenue" has values in EUR, USD');
    expect(() =>
      metricCurrency('revenue', [
        { dimensions: {}, value: '1', currency: 'USD' },
        { dimensions: {}, value: '2', currency: null },
      ]),
    ).toThrow('(no currency), USD');
  });
});

describe('gross margin', () => {
  it('should answer revenue − cost and its percentage, null on zero revenue', () => {
    expect(marginOf({ customer: 'acme' }, '200', '50.5')).toEqual({
      dimensions: { customer: 'acme' },
      revenue: '200',
      cost: '50.5',
      margin: '149.5',
      marginPercent: '74.75',
    });
    expect(
      grossMarginRows([
        { dimensions: { customer: 'b' }, cost: '3', metricValue: '0', costPerUnit: null },
      ]),
    ).toEqual([
      { dimensions: { customer: 'b' }, revenue: '0', cost: '3', margin: '-3', marginPercent: null },
    ]);
  });
});

describe('UnitEconomicsService arguments', () => {
  const service = new UnitEconomicsService(
    { report: () => Promise.reject(new Error('no read with a bad argument')) },
    { sums: () => Promise.reject(new Error('no read with a bad argument')) },
  );
  const options = {
    metric: 'revenue',
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
    groupBy: ['customer'],
  };

  it.each(['US', 'USDX', '€€€', 'x'.repeat(100_000)])(
    'should refuse the currency %#, naming it, before any read',
    async (currency) => {
      const refused = service.unitEconomics({ ...options, currency });
      await expect(refused).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(refused).rejects.toThrow(/^currency: must be a three-letter ISO 4217 code/);
      await expect(
        service.grossMargin({ ...options, revenueMetric: 'revenue', currency }),
      ).rejects.toThrow(/^currency: /);
    },
  );
});
