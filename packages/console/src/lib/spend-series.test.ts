import { daysBetween, OTHER, stackSpend, UNTAGGED } from './spend-series';

describe('stackSpend', () => {
  const days = daysBetween('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z');

  it('should list every day of the range', () => {
    expect(days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
  });

  it('should make one series per value over every day, largest first, sums exact', () => {
    const stacked = stackSpend(
      [
        { cost: '0.1', dimensions: { day: '2026-11-01', team: 'search' } },
        { cost: '0.2', dimensions: { day: '2026-11-01', team: 'search' } },
        { cost: '5', dimensions: { day: '2026-11-03', team: 'ads' } },
        { cost: '1', dimensions: { day: '2026-11-02', team: null } },
        { cost: '9', dimensions: { day: '2026-10-31', team: 'ads' } },
      ],
      'team',
      days,
    );
    expect(stacked.series).toEqual([
      { name: 'ads', values: ['0', '0', '5'], total: '5' },
      { name: UNTAGGED, values: ['0', '1', '0'], total: '1' },
      { name: 'search', values: ['0.3', '0', '0'], total: '0.3' },
    ]);
  });

  it('should stack values String() cannot convert, and skip a day that is not a day', () => {
    const stacked = stackSpend(
      [
        { cost: '2', dimensions: { day: '2026-11-01', team: { toString: null } } },
        { cost: '3', dimensions: { day: { toString: null }, team: 'ads' } },
      ],
      'team',
      days,
    );
    expect(stacked.series).toEqual([
      { name: '{"toString":null}', values: ['2', '0', '0'], total: '2' },
    ]);
  });

  it('should sum the values past the limit into (other)', () => {
    const rows = ['a', 'b', 'c', 'd'].map((team, index) => ({
      cost: String(index + 1),
      dimensions: { day: '2026-11-02', team },
    }));
    const stacked = stackSpend(rows, 'team', days, 3);
    expect(stacked.series.map((series) => [series.name, series.total])).toEqual([
      ['d', '4'],
      ['c', '3'],
      [OTHER, '3'],
    ]);
  });
});
