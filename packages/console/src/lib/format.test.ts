import fc from 'fast-check';
import { dayRange, formatMoney, formatScope, monthRange, roundDecimal } from './format';

describe('format', () => {
  it('should round decimal strings half away from zero without floats', () => {
    expect(roundDecimal('12.345')).toBe('12.35');
    expect(roundDecimal('12.344999')).toBe('12.34');
    expect(roundDecimal('9.995')).toBe('10.00');
    expect(roundDecimal('-0.004')).toBe('0.00');
    expect(roundDecimal('-2.005')).toBe('-2.01');
    expect(roundDecimal('1.005')).toBe('1.01');
    expect(roundDecimal('7')).toBe('7.00');
  });

  it('should round like BigInt arithmetic on generated values', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        fc.integer({ min: 0, max: 8 }),
        (units, scale) => {
          const digits = units.toString().padStart(scale + 1, '0');
          const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
          const cents =
            scale >= 2
              ? (units +
                  5n * 10n ** BigInt(scale - 3 >= 0 ? scale - 3 : 0) * (scale >= 3 ? 1n : 0n)) /
                10n ** BigInt(scale - 2)
              : units * 10n ** BigInt(2 - scale);
          const expected = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
          expect(roundDecimal(text)).toBe(expected);
        },
      ),
    );
  });

  it('should format money with separators and the currency', () => {
    expect(formatMoney('1234567.891')).toBe('$1,234,567.89');
    expect(formatMoney('-12.5')).toBe('-$12.50');
    expect(formatMoney('3', 'EUR')).toBe('3.00 EUR');
    expect(formatMoney(null)).toBe('—');
  });

  it('should give ranges of months and days, naming what is wrong', () => {
    expect(monthRange('2026-11')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    expect(monthRange('2026-12')?.to).toBe('2027-01-01T00:00:00.000Z');
    expect(monthRange('2026-13')).toBeNull();
    expect(dayRange('2026-11-01', '2026-11-30')).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    expect(dayRange('2026-11-02', '2026-11-01')).toEqual({ error: 'To is before From' });
    expect(dayRange('nope', '2026-11-01')).toEqual({ error: 'From is not a date' });
    expect(formatScope({ team: 'search', feature: null })).toBe('team=search');
    expect(formatScope({})).toBe('everything');
  });
});
