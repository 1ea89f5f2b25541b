import { burnDown, scopeToFilter } from './burn-down';

describe('burn-down', () => {
  it('should filter spend by the scope keys the report knows and name the others', () => {
    expect(scopeToFilter({ team: 'search', feature: 'chat' })).toEqual({
      filter: { team: 'search', feature: 'chat' },
    });
    expect(scopeToFilter({})).toEqual({ filter: {} });
    expect(scopeToFilter({ virtual_key: 'vk1', team: 'x' })).toEqual({
      unsupported: ['virtual_key'],
    });
  });

  it('should give what is left each day through today, then holds and the forecast', () => {
    const chart = burnDown({
      limit: '100',
      reserved: '2.5',
      forecast: '150',
      interval: { low: '120', high: '180.5' },
      windowStart: '2026-11-01T00:00:00.000Z',
      windowEnd: '2026-11-05T00:00:00.000Z',
      now: new Date('2026-11-03T12:00:00Z'),
      rows: [
        { cost: '10', dimensions: { day: '2026-11-01' } },
        { cost: '20.25', dimensions: { day: '2026-11-03' } },
      ],
    });
    expect(chart.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
    expect(chart.today).toBe(2);
    expect(chart.remaining).toEqual(['90', '90', '69.75', null]);
    expect(chart.afterHolds).toBe('67.25');
    expect(chart.forecastRemaining).toBe('-50');
    expect(chart.intervalRemaining).toEqual({ atHigh: '-80.5', atLow: '-20' });
  });
});
