import fc from 'fast-check';
import { compareDecimals, subtractDecimals, sumDecimals } from './decimal';

const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 9 }))
  .map(([units, scale]) => {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    const whole = digits.slice(0, digits.length - scale);
    const fraction = scale ? `.${digits.slice(digits.length - scale)}` : '';
    return { text: `${negative ? '-' : ''}${whole}${fraction}`, units, scale };
  });

describe('decimal strings', () => {
  it('should add exactly where floats would not', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals([])).toBe('0');
    expect(sumDecimals(['1.000000001', '2', '-0.000000001'])).toBe('3');
    expect(subtractDecimals('100', '0.005')).toBe('99.995');
    expect(compareDecimals('10.5', '9.99')).toBe(1);
    expect(compareDecimals('-1', '-1.0')).toBe(0);
  });

  it('should agree with BigInt arithmetic on generated values', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const scale = Math.max(a.scale, b.scale);
        const left = a.units * 10n ** BigInt(scale - a.scale);
        const right = b.units * 10n ** BigInt(scale - b.scale);
        expect(compareDecimals(sumDecimals([a.text, b.text]), sumDecimals([b.text, a.text]))).toBe(
          0,
        );
        expect(
          compareDecimals(subtractDecimals(sumDecimals([a.text, b.text]), b.text), a.text),
        ).toBe(0);
        expect(compareDecimals(a.text, b.text)).toBe(left === right ? 0 : left < right ? -1 : 1);
      }),
    );
  });

  it('should name a value that is not a decimal', () => {
    expect(() => sumDecimals(['1e3'])).toThrow('"1e3" is not a decimal number');
  });
});
