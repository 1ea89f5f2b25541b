import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { median, scoreHour, MIN_EXCESS, SCORE_THRESHOLD } from './anomaly-score';

const money = (values: (string | number)[]) => values.map((value) => new Money(value));

describe('median', () => {
  it('should take the middle value, or the mean of the two middle ones', () => {
    expect(median(money([3, 1, 2])).toFixed()).toBe('2');
    expect(median(money(['10', '0', '300', '12'])).toFixed()).toBe('11');
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('scoreHour', () => {
  it('should flag a spike over a flat history, with the floor of 10 % of expected as scale', () => {
    const result = scoreHour(new Money(510), money(Array(8).fill(10)));
    expect(result.expected.toFixed()).toBe('10');
    expect(result.mad.toFixed()).toBe('0');
    expect(result.excess.toFixed()).toBe('500');
    expect(result.score).toBe(500);
    expect(result.anomalous).toBe(true);
  });

  it('should be robust to one past spike: the median and MAD barely move', () => {
    const history = money([10, 11, 9, 10, 300, 10, 11, 9]);
    const result = scoreHour(new Money(40), history);
    expect(result.expected.toFixed()).toBe('10');
    // deviations 0,1,1,0,290,0,1,1 → MAD 1; scale max(1.4826, 1, 0.01) = 1.4826
    expect(result.mad.toFixed()).toBe('1');
    expect(result.score).toBe(20.2347);
    expect(result.anomalous).toBe(true);
    // The past spike itself does not make a repeat of it normal.
    expect(scoreHour(new Money(300), history).anomalous).toBe(true);
  });

  it('should not flag an excess under the minimum, however unusual', () => {
    const result = scoreHour(new Money('4.99'), money(Array(8).fill(0)));
    expect(result.score).toBe(499);
    expect(result.anomalous).toBe(false);
    expect(scoreHour(new Money(MIN_EXCESS), money(Array(8).fill(0))).anomalous).toBe(true);
  });

  it('should not flag noise within the threshold, nor any drop', () => {
    const history = money([100, 120, 80, 110, 90, 100, 130, 70]);
    // median 100, MAD 15, scale 22.239: 180 scores 3.5973
    expect(scoreHour(new Money(180), history)).toMatchObject({ score: 3.5973, anomalous: false });
    expect(scoreHour(new Money(190), history).anomalous).toBe(true);
    expect(scoreHour(new Money(0), history).anomalous).toBe(false);
  });

  it('should pool the neighbouring hours into the MAD, each from its own median', () => {
    const flat = money(Array(8).fill(10));
    const noisy = money([0, 20, 0, 20, 0, 20, 0, 20]);
    expect(scoreHour(new Money(40), flat)).toMatchObject({ score: 30, anomalous: true });
    // 8 deviations of 0 and 16 of 10: MAD 10, scale 14.826
    const pooled = scoreHour(new Money(40), flat, [noisy, noisy]);
    expect(pooled.mad.toFixed()).toBe('10');
    expect(pooled).toMatchObject({ score: 2.0235, anomalous: false });
    // A neighbour with a different level adds no spread: deviations from its own median.
    const higher = money(Array(8).fill(50));
    expect(scoreHour(new Money(40), flat, [higher, []])).toMatchObject({ score: 30 });
  });

  it('should flag exactly when score and excess both pass (generated histories)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 4, maxLength: 8 }),
        fc.integer({ min: 0, max: 200_000 }),
        (cents, observedCents) => {
          const history = cents.map((value) => new Money(value).dividedBy(100));
          const observed = new Money(observedCents).dividedBy(100);
          const result = scoreHour(observed, history);
          expect(Number.isFinite(result.score)).toBe(true);
          expect(result.excess.equals(observed.minus(result.expected))).toBe(true);
          expect(result.anomalous).toBe(
            result.score >= SCORE_THRESHOLD && result.excess.greaterThanOrEqualTo(MIN_EXCESS),
          );
          // The expected value lies within the history.
          const sorted = [...history].sort((a, b) => a.comparedTo(b));
          expect(result.expected.greaterThanOrEqualTo(sorted[0]!)).toBe(true);
          expect(result.expected.lessThanOrEqualTo(sorted[sorted.length - 1]!)).toBe(true);
        },
      ),
    );
  });
});
