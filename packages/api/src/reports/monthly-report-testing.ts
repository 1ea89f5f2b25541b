import type { MonthlyReportData } from './monthly-report-types';

/** A small report's data for the renderers' unit tests (figures tie as the service's do). */
export function sampleReport(overrides: Partial<MonthlyReportData> = {}): MonthlyReportData {
  const daily = Array.from({ length: 30 }, (_, index) => ({
    day: `2026-11-${String(index + 1).padStart(2, '0')}`,
    cost: index === 0 ? '100.125' : index === 1 ? '0.000001' : '0',
    requests: index < 2 ? 3 : 0,
  }));
  return {
    month: '2026-11',
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
    currency: 'USD',
    total: '100.125001',
    requests: 6,
    unpricedRequests: 1,
    daily,
    previousMonths: [
      { month: '2026-05', total: '0' },
      { month: '2026-06', total: '0' },
      { month: '2026-07', total: '0' },
      { month: '2026-08', total: '0' },
      { month: '2026-09', total: '12' },
      { month: '2026-10', total: '80.1' },
    ],
    costCenters: [
      {
        code: 'CC-SEARCH',
        name: 'Search & Discovery',
        direct: '60',
        shared: '10',
        trueUp: '0',
        total: '70',
      },
      { code: 'CC-BOT', name: 'Support bot', direct: '20', shared: '5', trueUp: '0', total: '25' },
    ],
    unallocated: '5.125001',
    adjustments: '0',
    chargebackTotal: '100.125001',
    features: [
      { feature: 'chat', cost: '90', requests: 4 },
      { feature: '<script>alert("x")</script>', cost: '10.125', requests: 1 },
      { feature: null, cost: '0.000001', requests: 1 },
    ],
    variance: [
      {
        provider: 'openai',
        estimated: '100.125001',
        billed: '101',
        delta: '0.874999',
        deltaPercent: '0.87',
        statuses: { MATCHED: 1, OVER: 1 },
        nonTokenCharges: '2.5',
      },
    ],
    unbilledProviders: ['anthropic'],
    waste: [
      { category: 'MODEL_MISMATCH', findings: 2, spend: '40', recoverable: '30.5' },
      { category: 'RETRY_WASTE', findings: 1, spend: '3', recoverable: '3' },
    ],
    unitEconomics: [
      {
        metric: 'tickets',
        metricCurrency: null,
        value: '40',
        cost: '100.125001',
        costPerUnit: '2.503125025',
      },
    ],
    budgets: [
      {
        id: '6f1c1f6e-0c8e-4a53-9b0e-1d3f5f0b8a11',
        name: 'search team',
        period: 'monthly',
        currency: 'USD',
        limit: '80',
        windows: 1,
        spent: '90',
        peak: '90',
        peakPercent: '112.5',
        overLimit: 1,
        alerts: ['0.8', '1'],
      },
    ],
    ...overrides,
  };
}
