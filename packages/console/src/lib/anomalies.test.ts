import fc from 'fast-check';
import { dayOfHour, excess, locate, normalHour, seriesDay, seriesText } from './anomalies';
import { sumDecimals } from './decimal';

const HOUR = '2026-11-24T14:00:00.000Z';

describe('anomalies view', () => {
  it('should locate the series and the hour of an anomaly', () => {
    expect(locate({ feature: 'chat', hour: '2026-11-24T14:00:00Z' })).toEqual({
      series: { dimension: 'feature', name: 'chat' },
      hour: HOUR,
    });
    expect(locate({ team: null, hour: HOUR })).toEqual({
      series: { dimension: 'team', name: null },
      hour: HOUR,
    });
    expect(locate({ project: 'p', hour: 'not a time' }).series.dimension).toBe('project');
    expect(locate({ hour: 'not a time' }).hour).toBeNull();
    expect(seriesText({ dimension: 'team', name: null })).toBe('team (none named)');
    expect(normalHour(7)).toBeNull();
  });

  it('should compute the excess exactly', () => {
    expect(excess({ expected: '10', observed: '510' })).toBe('500');
    expect(excess({ expected: '0.1', observed: '5.3' })).toBe('5.2');
  });

  it("should give the 24 hours of the anomaly's UTC day", () => {
    const day = dayOfHour(HOUR);
    expect(day.from).toBe('2026-11-24T00:00:00.000Z');
    expect(day.to).toBe('2026-11-25T00:00:00.000Z');
    expect(day.hours).toHaveLength(24);
    expect(day.hours[14]).toBe(HOUR);
  });

  it("should draw the series' hours with the expected spend at its own flagged hours only", () => {
    const drawn = seriesDay(
      { dimension: 'feature', name: 'chat' },
      HOUR,
      [
        { cost: '500', dimensions: { hour: '2026-11-24T14:00:00Z' } },
        { cost: '10', dimensions: { hour: '2026-11-24T14:00:00Z' } },
        { cost: '0.25', dimensions: { hour: '2026-11-24T09:00:00Z' } },
        { cost: '99', dimensions: { hour: '2026-11-25T00:00:00Z' } },
      ],
      [
        {
          dimensions: { feature: 'chat', hour: HOUR },
          expected: '10',
          observed: '510',
          score: 500,
        },
        { dimensions: { team: 'chat', hour: HOUR }, expected: '9', observed: '510', score: 50 },
        {
          dimensions: { feature: 'chat', hour: '2026-11-23T14:00:00Z' },
          expected: '1',
          observed: '9',
          score: 8,
        },
      ],
    );
    expect(drawn.observed[14]).toBe('510');
    expect(drawn.observed[9]).toBe('0.25');
    expect(drawn.observed.filter((value) => value !== '0')).toHaveLength(2);
    expect(drawn.expected[14]).toBe('10');
    expect(drawn.expected.filter((value) => value !== null)).toEqual(['10']);
    expect(drawn.flagged).toEqual([HOUR]);
  });

  it('should locate any dimensions the service may answer without throwing', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dimensions) => {
        const located = locate(dimensions);
        expect(typeof located.series.dimension).toBe('string');
        expect(located.series.name === null || typeof located.series.name === 'string').toBe(true);
        expect(located.hour === null || located.hour.endsWith('Z')).toBe(true);
        expect(typeof seriesText(located.series)).toBe('string');
      }),
    );
  });

  it('should name a series whose value is an object that String() cannot convert', () => {
    // The counterexample a CI run's seed found: String({ toString: null }) throws.
    expect(locate({ '': { toString: null } }).series).toEqual({
      dimension: '',
      name: '{"toString":null}',
    });
    expect(locate({ team: [1, 'a'] }).series.name).toBe('[1,"a"]');
  });

  it('should keep every hour of the day and sum exactly the rows inside it', () => {
    const hourOf = fc.integer({ min: 0, max: 47 });
    const cost = fc
      .tuple(fc.nat(10_000), fc.nat(999_999))
      .map(([whole, part]) => `${whole}.${String(part).padStart(6, '0')}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(hourOf, cost), { maxLength: 60 }), (items) => {
        const start = Date.parse('2026-11-24T00:00:00Z');
        const rows = items.map(([offset, value]) => ({
          cost: value,
          dimensions: { hour: new Date(start + (offset - 12) * 3_600_000).toISOString() },
        }));
        const drawn = seriesDay({ dimension: 'team', name: 'a' }, HOUR, rows, []);
        expect(drawn.hours).toHaveLength(24);
        const inside = items.filter(([offset]) => offset >= 12 && offset < 36);
        expect(sumDecimals(drawn.observed)).toBe(sumDecimals(inside.map(([, value]) => value)));
      }),
    );
  });
});
