import { Money } from '@purser/pricing';
import { toNanosCeil, toNanosFloor } from './money';

/** The reference: Decimal arithmetic, as before the string fast path. */
const NANOS = new Money(1_000_000_000);
const ceil = (amount: string) => new Money(amount).times(NANOS).ceil().toFixed(0);
const floor = (amount: string) => new Money(amount).times(NANOS).floor().toFixed(0);

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
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
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
