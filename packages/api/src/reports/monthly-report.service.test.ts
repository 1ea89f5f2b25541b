import { Money } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import type { MonthlyReportDependencies } from './monthly-report.service';
import { MonthlyReportService } from './monthly-report.service';
import type { SpendReportValue } from '../usage/spend.service';

const NOVEMBER = {
  month: '2026-11',
  from: new Date('2026-11-01T00:00:00Z'),
  to: new Date('2026-12-01T00:00:00Z'),
};

const spendRows = (
  dimension: string,
  rows: [string | null, string, number][],
): SpendReportValue => ({
  rows: rows.map(([value, cost, requests]) => ({
    dimensions: { [dimension]: value },
    cost,
    requests,
    unpricedRequests: 0,
    tokens: {},
  })),
  total: rows.reduce((sum, row) => sum.plus(row[1]), new Money(0)).toFixed(),
  currency: 'USD',
  requests: 0,
  unpricedRequests: 0,
});

/** A recording fake of the services the report reads, and of its own SQL reads. */
function fakes() {
  const calls: string[] = [];
  const query = async (sql: string) => {
    if (sql.includes('FROM business_metrics')) return [{ name: 'tickets' }];
    if (sql.includes('FROM provider_cost_lines')) return [{ provider: 'openai' }];
    return [];
  };
  const dependencies: MonthlyReportDependencies = {
    dataSource: { query } as unknown as DataSource,
    spend: {
      report: async (options) => {
        calls.push(`spend ${options.groupBy.join(',')} ${options.from.toISOString()}`);
        if (options.groupBy[0] === 'day') {
          return spendRows('day', [
            ['2026-05-31', '7', 1],
            ['2026-10-02', '1.5', 1],
            ['2026-10-31', '2.25', 2],
            ['2026-11-01', '10.5', 2],
            ['2026-11-30', '0.000000001', 1],
          ]);
        }
        if (options.groupBy[0] === 'feature') {
          return spendRows('feature', [
            ['search', '0.000000001', 1],
            [null, '0.5', 1],
            ['chat', '10', 1],
          ]);
        }
        return spendRows('provider', [
          ['openai', '10', 2],
          ['anthropic', '0.500000001', 1],
        ]);
      },
    },
    allocation: {
      chargeback: async () => ({
        from: NOVEMBER.from,
        to: NOVEMBER.to,
        currency: 'USD',
        rows: [
          {
            costCenter: 'B',
            name: 'Bee',
            glAccount: null,
            parentCode: 'ROOT',
            level: 1,
            direct: '2',
            shared: '0',
            trueUp: '0',
            total: '2',
            rolledUp: false,
          },
          {
            costCenter: 'A',
            name: 'Aye',
            glAccount: null,
            parentCode: 'ROOT',
            level: 1,
            direct: '8',
            shared: '0',
            trueUp: '0',
            total: '8',
            rolledUp: false,
          },
          {
            costCenter: 'ROOT',
            name: 'Root',
            glAccount: null,
            parentCode: null,
            level: 0,
            direct: '0',
            shared: '0',
            trueUp: '0',
            total: '10',
            rolledUp: true,
          },
        ],
        unallocated: '0.500000001',
        adjustments: [],
        adjustmentsTotal: '0',
        total: '10.500000001',
        frozenMonths: [],
      }),
    },
    reconciliation: {
      report: async (options) => {
        calls.push(`reconcile ${options.provider}`);
        return {
          rows: [
            {
              dimensions: {},
              estimated: '10',
              billed: '11',
              delta: '1',
              deltaPercent: '9.09',
              status: 'OVER',
              likelyCauses: [],
            },
            {
              dimensions: {},
              estimated: '0',
              billed: '0',
              delta: '0',
              deltaPercent: null,
              status: 'MATCHED',
              likelyCauses: [],
            },
          ],
          estimated: '10',
          billed: '11',
          delta: '1',
          currency: 'USD',
          nonTokenCharges: [
            { day: '2026-11-01', costType: 'fee', lineItem: 'x', project: null, amount: '0.25' },
            { day: '2026-11-02', costType: 'fee', lineItem: 'x', project: null, amount: '0.5' },
          ],
        };
      },
    },
    unitEconomics: {
      unitEconomics: async (options) => {
        calls.push(`unit ${options.metric} ${options.groupBy.length}`);
        return {
          rows: [
            {
              dimensions: {},
              cost: '10.500000001',
              metricValue: '3',
              costPerUnit: '3.500000000333333333',
            },
          ],
          currency: 'USD',
          metricCurrency: null,
        };
      },
    },
  };
  return { dependencies, calls };
}

describe('MonthlyReportService', () => {
  it('should gather every section for the month, tied to the services answers', async () => {
    const { dependencies, calls } = fakes();
    const service = new MonthlyReportService(dependencies);
    const data = await service.monthly(NOVEMBER);
    expect(data.daily).toHaveLength(30);
    expect(data.daily[0]).toEqual({ day: '2026-11-01', cost: '10.5', requests: 2 });
    expect(data.daily[1]).toEqual({ day: '2026-11-02', cost: '0', requests: 0 });
    expect(data.total).toBe('10.500000001');
    expect(data.requests).toBe(3);
    expect(data.previousMonths).toEqual([
      { month: '2026-05', total: '7' },
      { month: '2026-06', total: '0' },
      { month: '2026-07', total: '0' },
      { month: '2026-08', total: '0' },
      { month: '2026-09', total: '0' },
      { month: '2026-10', total: '3.75' },
    ]);
    // One trend read from six months before, not one read per month.
    expect(calls.filter((call) => call.startsWith('spend day'))).toEqual([
      'spend day 2026-05-01T00:00:00.000Z',
    ]);
    expect(data.costCenters.map((row) => row.code)).toEqual(['A', 'B']);
    expect(data.chargebackTotal).toBe('10.500000001');
    expect(data.features.map((row) => row.feature)).toEqual(['chat', null, 'search']);
    const features = data.features.reduce((sum, row) => sum.plus(row.cost), new Money(0));
    expect(features.equals(data.total)).toBe(true);
    expect(data.variance).toEqual([
      {
        provider: 'openai',
        estimated: '10',
        billed: '11',
        delta: '1',
        deltaPercent: '9.09',
        statuses: { OVER: 1, MATCHED: 1 },
        nonTokenCharges: '0.75',
      },
    ]);
    expect(data.unbilledProviders).toEqual(['anthropic']);
    expect(data.unitEconomics).toEqual([
      {
        metric: 'tickets',
        metricCurrency: null,
        value: '3',
        cost: '10.500000001',
        costPerUnit: '3.500000000333333333',
      },
    ]);
    expect(calls).toContain('unit tickets 0');
    expect(data.waste).toBeNull();
  });

  it('should sum waste findings per category, most recoverable first', async () => {
    const service = new MonthlyReportService(fakes().dependencies);
    const asked: [Date, Date][] = [];
    service.waste = {
      wasteFindings: async (from, to) => {
        asked.push([from, to]);
        return [
          { category: 'RETRY_WASTE', spend: '1', recoverable: '1' },
          { category: 'MODEL_MISMATCH', spend: '4', recoverable: '0.75' },
          { category: 'MODEL_MISMATCH', spend: '2.5', recoverable: '0.5' },
          { category: 'UNGOVERNED_KEY', spend: '9', recoverable: '0' },
        ];
      },
    };
    const data = await service.monthly(NOVEMBER);
    expect(asked).toEqual([[NOVEMBER.from, NOVEMBER.to]]);
    expect(data.waste).toEqual([
      { category: 'MODEL_MISMATCH', findings: 2, spend: '6.5', recoverable: '1.25' },
      { category: 'RETRY_WASTE', findings: 1, spend: '1', recoverable: '1' },
      { category: 'UNGOVERNED_KEY', findings: 1, spend: '9', recoverable: '0' },
    ]);
  });
});
