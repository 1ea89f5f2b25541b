import fc from 'fast-check';

import { formatDecimal, Money } from './decimal';
import { fromNanos, isZeroAmount, plus, toNanosCeil, toNanosFloor } from './scaled-decimal';
import { expectEquivalent } from './testing';

const NANOS = new Money(1_000_000_000);
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/**
 * Decimal strings: plain ones with up to 18 digits in each part (the scaled path) and some
 * longer, and the forms only Decimal reads (an exponent, a leading point or plus, a point
 * with nothing after it), so both sides of every function are exercised.
 */
const amounts = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.boolean(), digits(1, 20), fc.option(digits(0, 20)))
      .map(
        ([negative, whole, fraction]) =>
          `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('1e3', '1E-9', '.5', '1.', '+1', '-0', '0e5', '007', '-.25'),
  },
);
const nonNegative = amounts.filter((amount) => !amount.startsWith('-'));

describe('scaled-decimal against Decimal on generated amounts', () => {
  it('should add as Decimal adds', () => {
    const { fast } = expectEquivalent({
      fast: ([left, right]: [string, string]) => plus(left, right),
      reference: ([left, right]) => ({
        success: true,
        data: formatDecimal(new Money(left).plus(right)),
      }),
      arbitrary: fc.tuple(amounts, amounts),
      runs: 5000,
    });
    expect(fast).toBe(5000);
  });

  it('should tell zero as Decimal does', () => {
    expectEquivalent({
      fast: isZeroAmount,
      reference: (amount: string) => ({ success: true, data: new Money(amount).isZero() }),
      arbitrary: amounts,
      runs: 3000,
    });
  });

  it('should round nano-units up and down as Decimal does', () => {
    expectEquivalent({
      fast: (amount: string) => [toNanosCeil(amount), toNanosFloor(amount)],
      reference: (amount) => ({
        success: true,
        data: [
          new Money(amount).times(NANOS).ceil().toFixed(0),
          new Money(amount).times(NANOS).floor().toFixed(0),
        ],
      }),
      arbitrary: nonNegative,
      runs: 5000,
    });
  });

  it('should write nano-units back as Decimal writes them', () => {
    expectEquivalent({
      fast: fromNanos,
      reference: (nanos: bigint) => ({
        success: true,
        data: formatDecimal(new Money(nanos.toString()).dividedBy(NANOS)),
      }),
      arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      runs: 3000,
    });
  });
});
