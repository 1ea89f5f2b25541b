import fc from 'fast-check';

import { formatDecimal, Money } from '@purser/pricing';
import { expectEquivalent } from '@purser/pricing/testing';

import { isZeroAmount, plus, toNanosCeil, toNanosFloor } from '@purser/pricing';
import { remainingOf } from './money';

/** The reference: Decimal arithmetic, as before the string fast path. */
const NANOS = new Money(1_000_000_000);
const ceil = (amount: string) => new Money(amount).times(NANOS).ceil().toFixed(0);
const floor = (amount: string) => new Money(amount).times(NANOS).floor().toFixed(0);

/** The same pseudo-random whole numbers below 2³¹ on every run, from `seed` (a linear congruence). */
function seededNumbers(seed: number): () => number {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
}

describe('nano-units of money', () => {
  it.each([
    ['0', '0', '0'],
    ['1', '1000000000', '1000000000'],
    ['0.000000001', '1', '1'],
    ['0.0000000001', '1', '0'],
    ['0.0000000010', '1', '1'],
    ['12.3456789012', '12345678902', '12345678901'],
    ['12.345678900000', '12345678900', '12345678900'],
    ['007.5', '7500000000', '7500000000'],
    [
      '123456789012345678901234.5',
      '123456789012345678901234500000000',
      '123456789012345678901234500000000',
    ],
    ['-1.5', '-1500000000', '-1500000000'],
    ['1e-9', '1', '1'],
  ])('%s → ceil %s, floor %s', (amount, up, down) => {
    expect(toNanosCeil(amount)).toBe(up);
    expect(toNanosFloor(amount)).toBe(down);
  });

  it('should agree with Decimal arithmetic on many random amounts', () => {
    const next = seededNumbers(7);
    for (let index = 0; index < 5_000; index += 1) {
      const whole = String(next() % 100_000);
      const fraction = String(next())
        .padStart(10, '0')
        .slice(0, 1 + (next() % 14));
      const amount = next() % 4 === 0 ? whole : `${whole}.${fraction}`;
      expect([amount, toNanosCeil(amount), toNanosFloor(amount)]).toEqual([
        amount,
        ceil(amount),
        floor(amount),
      ]);
    }
  });

  it('should take Decimal values too', () => {
    expect(toNanosCeil(new Money('0.25'))).toBe('250000000');
    expect(toNanosFloor(new Money('2.0000000005'))).toBe('2000000000');
  });
});

describe('plus and remainingOf', () => {
  /** The reference: Decimal arithmetic, written by plain(). */
  const plainOf = (value: InstanceType<typeof Money>) => (value.isZero() ? '0' : value.toFixed());
  const sum = (left: string, right: string) => plainOf(new Money(left).plus(right));
  const left = (limit: string, spent: string, reserved: string) =>
    plainOf(Money.max(0, new Money(limit).minus(spent).minus(reserved)));

  it.each([
    ['0', '0', '0'],
    ['1.50', '0', '1.5'],
    ['0.1', '0.2', '0.3'],
    ['-1.25', '1.25', '0'],
    ['-1.25', '0.05', '-1.2'],
    ['007', '0.000', '7'],
    ['0.000000001', '0.000000009', '0.00000001'],
    ['999999999999999999.999999999999999999', '0.000000000000000001', '1000000000000000000'],
    ['1e-9', '1', '1.000000001'],
    ['1234567890123456789', '1', '1234567890123456790'],
    ['.5', '1.', '1.5'],
    ['-0', '+1', '1'],
    ['1e3', '0.5', '1000.5'],
    ['1.2', '-0.20', '1'],
  ])('plus(%s, %s) = %s', (a, b, expected) => {
    expect(plus(a, b)).toBe(expected);
    expect(plus(a, b)).toBe(sum(a, b));
  });

  it.each([
    ['10', '4.25', '0.75', '5'],
    ['10', '10', '0', '0'],
    ['10', '9.99', '0.02', '0'],
    ['1000000000', '0.0425', '0.0425', '999999999.915'],
    ['0.5', '0', '0', '0.5'],
    ['1E2', '1', '1', '98'],
  ])('remainingOf(%s, %s, %s) = %s', (limit, spent, reserved, expected) => {
    expect(remainingOf(limit, spent, reserved)).toBe(expected);
    expect(remainingOf(limit, spent, reserved)).toBe(left(limit, spent, reserved));
  });

  it('should agree with Decimal arithmetic on many random amounts, Decimal values included', () => {
    const next = seededNumbers(11);
    const amount = () => {
      const whole = String(next() % 10 ** (1 + (next() % 9)));
      const fraction = String(next())
        .padStart(10, '0')
        .slice(0, next() % 12);
      const sign = next() % 9 === 0 ? '-' : '';
      return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
    };
    for (let index = 0; index < 5_000; index += 1) {
      const [a, b, c] = [amount(), amount(), amount()];
      expect([a, b, plus(a, b)]).toEqual([a, b, sum(a, b)]);
      expect([a, b, c, remainingOf(a, b, c)]).toEqual([a, b, c, left(a, b, c)]);
    }
    expect(plus(new Money('0.1'), '0.2')).toBe('0.3');
    expect(remainingOf(new Money('3'), '1', new Money('0.5'))).toBe('1.5');
  });
});

describe('isZeroAmount', () => {
  it.each([
    ['0', true],
    ['0.000', true],
    ['-0', true],
    ['0.0000000001', false],
    ['10', false],
    ['-0.5', false],
    ['0e5', true],
    ['1e-30', false],
  ])('%s → %s', (amount, zero) => {
    expect(isZeroAmount(amount)).toBe(zero);
    expect(isZeroAmount(amount)).toBe(new Money(amount).isZero());
  });
});

describe('remainingOf on generated amounts', () => {
  it('should answer what Decimal answers', () => {
    const amount = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat({ max: 20 }))
      .map(([negative, units, scale]) =>
        formatDecimal(new Money(`${negative ? '-' : ''}${units}e-${scale}`)),
      );
    const { fast } = expectEquivalent({
      fast: ([limit, spent, reserved]: [string, string, string]) =>
        remainingOf(limit, spent, reserved),
      reference: ([limit, spent, reserved]) => ({
        success: true,
        data: formatDecimal(Money.max(0, new Money(limit).minus(spent).minus(reserved))),
      }),
      arbitrary: fc.tuple(amount, amount, amount),
      runs: 5000,
    });
    expect(fast).toBe(5000);
  });
});
