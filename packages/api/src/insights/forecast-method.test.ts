import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { forecastSpend, weekdayProfile, type SpendDay } from './forecast-method';

const DAY_MS = 86_400_000;

/** UTC days from `first` (inclusive) to `end` (exclusive), spending `amount(date)` each. */
function days(first: string, end: string, amount: (day: Date) => number | string): SpendDay[] {
  const result: SpendDay[] = [];
  for (let time = Date.parse(first); time < Date.parse(end); time += DAY_MS) {
    const start = new Date(time);
    result.push({
      start,
      end: new Date(time + DAY_MS),
      weekday: ((start.getUTCDay() + 6) % 7) + 1,
      amount: new Money(amount(start)),
    });
  }
  return result;
}

const december = {
  periodStart: new Date('2026-12-01T00:00:00Z'),
  periodEnd: new Date('2027-01-01T00:00:00Z'),
};
const text = (result: ReturnType<typeof forecastSpend>) => ({
  actualToDate: result.actualToDate.toFixed(),
  projected: result.projected.toFixed(),
  low: result.low.toFixed(),
  high: result.high.toFixed(),
  dailyRate: result.dailyRate.toFixed(),
  historyDays: result.historyDays,
  method: result.method,
});

describe('forecastSpend', () => {
  it('should project a constant 10.00 a day to the end of the month, with no spread', () => {
    const now = new Date('2026-12-10T00:00:00Z');
    // 56 days of history before Dec 10, nothing yet from Dec 10 on.
    const series = days('2026-10-15', '2027-01-01', (day) => (day < now ? 10 : 0));
    // Dec 1–9: 90; Dec 10–31: 22 days × 10.
    expect(text(forecastSpend({ days: series, ...december, now }))).toEqual({
      actualToDate: '90',
      projected: '310',
      low: '310',
      high: '310',
      dailyRate: '10',
      historyDays: 56,
      method: 'RUN_RATE',
    });
  });

  it('should follow the weekday profile and count the rest of today by its share', () => {
    // Weekdays 10, weekends 4; now Thursday Dec 10 at 12:00 with 5 spent today.
    const now = new Date('2026-12-10T12:00:00Z');
    const today = Date.parse('2026-12-10T00:00:00Z');
    const usual = (day: Date) => ([0, 6].includes(day.getUTCDay()) ? 4 : 10);
    const series = days('2026-10-15', '2027-01-01', (day) =>
      day.getTime() < today ? usual(day) : day.getTime() === today ? 5 : 0,
    );
    // Dec 1–9: 7 weekdays + 2 weekend days = 78, plus today's 5 = 83. The rest: half of
    // today's 10, then Dec 11–31: 15 weekdays and 6 weekend days = 174. 83 + 5 + 174 = 262.
    expect(text(forecastSpend({ days: series, ...december, now }))).toMatchObject({
      actualToDate: '83',
      projected: '262',
      low: '262',
      high: '262',
      method: 'RUN_RATE',
    });
    const profile = weekdayProfile(series.filter((day) => day.start.getTime() < today));
    // mean of the seven weekday means: (5 × 10 + 2 × 4) / 7 = 58/7
    expect(profile[0]!.times(58).dividedBy(7).toDecimalPlaces(20).toFixed()).toBe('10');
    expect(profile[6]!.times(58).dividedBy(7).toDecimalPlaces(20).toFixed()).toBe('4');
  });

  it('should take the last 7 days while the period has fewer than 3 complete days', () => {
    // The month started yesterday; the 7 days before today spent 70 (10 a day), earlier 1 a day.
    const now = new Date('2026-12-02T00:00:00Z');
    const series = days('2026-10-07', '2027-01-01', (day) =>
      day >= now ? 0 : day.getTime() >= now.getTime() - 7 * DAY_MS ? 10 : 1,
    );
    const result = forecastSpend({ days: series, ...december, now });
    expect(result.method).toBe('RECENT_RATE');
    // The profile is flat (every weekday has the same mean): 10 + 30 × 10.
    expect(result.projected.toFixed()).toBe('310');
    expect(result.dailyRate.toFixed()).toBe('10');
  });

  it('should give an 80 % interval from the spread of past daily spend', () => {
    // Alternate weeks of 8 and 12 a day: every weekday's mean is 10, so the profile is flat;
    // the 56 de-seasonalised days have mean 10 and sample variance 56 × 4 / 55.
    const now = new Date('2026-12-21T00:00:00Z');
    const weekOf = (day: Date) =>
      Math.floor((day.getTime() - Date.parse('2026-10-26')) / (7 * DAY_MS));
    const series = days('2026-10-26', '2027-01-01', (day) =>
      day >= now ? 0 : weekOf(day) % 2 === 0 ? 8 : 12,
    );
    const result = forecastSpend({ days: series, ...december, now });
    // Dec 1–20 = Nov 30's week (12) Dec 1–6, then 8 × 7, then 12 × 7: 6 × 12 + 56 + 84 = 212.
    expect(result.actualToDate.toFixed()).toBe('212');
    // Rate over Dec 1–20: 212 / 20 = 10.6; 11 days left.
    expect(result.projected.toFixed()).toBe('328.6');
    // 11 days' own spread (11 × 1²) and the rate's, estimated from 20 days of weight 1,
    // applied to all 11 at once (11² × 20 / 20²).
    const half = new Money('1.2816')
      .times(new Money(224).dividedBy(55).sqrt())
      .times(new Money(11).plus(new Money(121).dividedBy(20)).sqrt());
    expect(result.high.toFixed()).toBe(new Money('328.6').plus(half).toDecimalPlaces(6).toFixed());
    expect(result.low.toFixed()).toBe(new Money('328.6').minus(half).toDecimalPlaces(6).toFixed());
  });

  it('should answer the actual spend for a period that is over, and nothing more without history', () => {
    const series = days('2026-10-15', '2027-01-01', () => '1.5');
    const closed = forecastSpend({
      days: series,
      ...december,
      now: new Date('2027-01-03T00:00:00Z'),
    });
    expect(text(closed)).toMatchObject({
      actualToDate: '46.5',
      projected: '46.5',
      low: '46.5',
      high: '46.5',
      method: 'CLOSED',
    });
    const empty = days('2026-10-15', '2027-01-01', () => 0);
    const none = forecastSpend({ days: empty, ...december, now: new Date('2026-12-02T06:00:00Z') });
    expect(text(none)).toMatchObject({ projected: '0', low: '0', high: '0', method: 'NO_HISTORY' });
  });

  it('should keep actual ≤ low ≤ projected ≤ high on generated histories', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 90, maxLength: 90 }),
        fc.integer({ min: 0, max: 40 * 24 - 1 }),
        (cents, hours) => {
          const now = new Date(Date.parse('2026-11-28T00:00:00Z') + hours * 3_600_000);
          const series = days('2026-10-03', '2027-01-01', (day) => {
            const index = Math.round((day.getTime() - Date.parse('2026-10-03')) / DAY_MS);
            return day < now ? new Money(cents[index]!).dividedBy(100).toFixed() : '0';
          });
          const result = forecastSpend({ days: series, ...december, now });
          expect(result.low.lessThanOrEqualTo(result.projected)).toBe(true);
          expect(result.projected.lessThanOrEqualTo(result.high)).toBe(true);
          expect(result.low.greaterThanOrEqualTo(result.actualToDate.toDecimalPlaces(6))).toBe(
            true,
          );
          expect(result.historyDays).toBeLessThanOrEqual(56);
        },
      ),
      { numRuns: 50 },
    );
  });
});
