import fc from 'fast-check';

import { Money } from '@purser/pricing';
import { SPLIT_SCALE, splitAmount } from './allocation-split';

const money = (value: string | number) => new Money(value);
const texts = (parts: InstanceType<typeof Money>[]) => parts.map((part) => part.toFixed());
const sum = (parts: InstanceType<typeof Money>[]) =>
  parts.reduce((total, part) => total.plus(part), new Money(0));

/** A decimal string with up to 15 integer and 0..14 fractional digits, maybe negative. */
const amountArb = fc
  .tuple(
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 10n ** 15n }),
    fc.integer({ min: 0, max: 14 }),
    fc.bigInt({ min: 0n, max: 10n ** 14n }),
  )
  .map(([negative, whole, places, fraction]) => {
    const digits =
      places === 0 ? '' : `.${(fraction % 10n ** BigInt(places)).toString().padStart(places, '0')}`;
    return `${negative ? '-' : ''}${whole}${digits}`;
  });
const weightArb = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 10 }))
  .map(([units, places]) => new Money(units.toString()).div(new Money(10).pow(places)));

describe('splitAmount', () => {
  it('splits exactly when the quotas are exact', () => {
    expect(texts(splitAmount(money('10'), [money('50'), money('30'), money('20')]))).toEqual([
      '5',
      '3',
      '2',
    ]);
    expect(texts(splitAmount(money('0.07'), [money('33.33'), money('66.67')]))).toEqual([
      '0.023331',
      '0.046669',
    ]);
  });

  it('gives the leftover units to the largest remainders, ties to the earlier target', () => {
    expect(texts(splitAmount(money('1'), [money(1), money(1), money(1)]))).toEqual([
      '0.333333333334',
      '0.333333333333',
      '0.333333333333',
    ]);
    expect(texts(splitAmount(money('2'), [money(1), money(1), money(1)]))).toEqual([
      '0.666666666667',
      '0.666666666667',
      '0.666666666666',
    ]);
    // 1/6 and 5/6: the first has the larger remainder (…666|6… vs …333|3…) → it gets the unit.
    expect(texts(splitAmount(money('1'), [money(1), money(5)]))).toEqual([
      '0.166666666667',
      '0.833333333333',
    ]);
    // 5/6 then 1/6: the unit follows the remainder, not the position.
    expect(texts(splitAmount(money('1'), [money(5), money(1)]))).toEqual([
      '0.833333333333',
      '0.166666666667',
    ]);
  });

  it('splits evenly when every weight is zero', () => {
    expect(texts(splitAmount(money('3'), [money(0), money(0), money(0)]))).toEqual(['1', '1', '1']);
  });

  it('gives a zero weight nothing and keeps the amount own scale when it is finer', () => {
    expect(texts(splitAmount(money('1'), [money(0), money(1), money(2)]))).toEqual([
      '0',
      '0.333333333333',
      '0.666666666667',
    ]);
    const fine = '0.00000000000000000007';
    const parts = splitAmount(money(fine), [money(1), money(1)]);
    expect(texts(parts)).toEqual(['0.00000000000000000004', '0.00000000000000000003']);
  });

  it('negates the parts of a negative amount', () => {
    expect(texts(splitAmount(money('-1'), [money(1), money(1), money(1)]))).toEqual([
      '-0.333333333334',
      '-0.333333333333',
      '-0.333333333333',
    ]);
  });

  it('property: the parts sum exactly to the amount, each within one unit of its quota', () => {
    fc.assert(
      fc.property(amountArb, fc.array(weightArb, { minLength: 1, maxLength: 12 }), (text, ws) => {
        const amount = money(text);
        const parts = splitAmount(amount, ws);
        expect(parts).toHaveLength(ws.length);
        expect(sum(parts).equals(amount)).toBe(true);
        const scale = Math.max(SPLIT_SCALE, amount.decimalPlaces());
        const unit = new Money(10).pow(-scale);
        const whole = ws.reduce((total, w) => total.plus(w), new Money(0));
        parts.forEach((part, index) => {
          expect(part.decimalPlaces()).toBeLessThanOrEqual(scale);
          const quota = whole.isZero() ? amount.div(ws.length) : amount.times(ws[index]).div(whole);
          expect(part.minus(quota).abs().lessThan(unit)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('property: the same input always gives the same parts (deterministic)', () => {
    fc.assert(
      fc.property(amountArb, fc.array(weightArb, { minLength: 1, maxLength: 6 }), (text, ws) => {
        expect(texts(splitAmount(money(text), ws))).toEqual(texts(splitAmount(money(text), ws)));
      }),
    );
  });
});
