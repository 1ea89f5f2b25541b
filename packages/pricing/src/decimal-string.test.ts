import fc from 'fast-check';
import {
  AMOUNT_BOUNDS,
  NANO_AMOUNT_BOUNDS,
  decimalProblem,
  decimalRule,
  isDecimalString,
} from './decimal-string';
import { Money } from './decimal';
import { DECIMAL_STRING_PATTERN, decimalStringSchema } from './price-card';

describe('decimal strings', () => {
  it.each([
    ['0', true],
    ['2.5', true],
    ['999999999999.99999999999999999999', true],
    ['1000000000000', false], // 13 integer digits
    [`0.${'0'.repeat(20)}1`, false], // 21 decimals
    [`0.${'0'.repeat(39)}1`, false], // the 40-decimal limit that acted as 0
    ['-1', false],
    ['1e3', false],
    ['01', false],
    ['1.', false],
    ['.5', false],
    [' 1', false],
    ['1\u0000', false],
  ])('should take %j as an amount: %s', (value, valid) => {
    expect(isDecimalString(value)).toBe(valid);
    expect(DECIMAL_STRING_PATTERN.test(value)).toBe(valid);
    expect(decimalStringSchema.safeParse(value).success).toBe(valid);
  });

  it('should refuse a tenth decimal where amounts are enforced in nano-units', () => {
    expect(decimalProblem('limit', '0.000000001', NANO_AMOUNT_BOUNDS)).toBeNull();
    expect(decimalProblem('limit', '0.0000000001', NANO_AMOUNT_BOUNDS)).toBe(
      'limit must be a non-negative plain decimal string such as "2.5" (no sign or exponent, ' +
        'at most 12 digits before the point and 9 after it) (got "0.0000000001")',
    );
  });

  it('should word every rejection the same way, naming the bounds, with a bounded excerpt', () => {
    const problem = decimalProblem('reported_cost.amount', '9'.repeat(10_000));
    expect(problem).toContain(decimalRule(AMOUNT_BOUNDS));
    expect(problem).toContain('at most 12 digits before the point and 20 after it');
    expect(problem!.length).toBeLessThan(400);
    expect(decimalProblem('limit', 12)).toContain('(got 12)');
    expect(decimalProblem('limit', undefined)).toContain('(got undefined)');
  });

  it('should accept exactly the strings that read back as the same decimal within the bounds', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789.-e ') }), (text) => {
        if (!isDecimalString(text)) return;
        const [integer, fraction = ''] = text.split('.');
        expect(integer.length).toBeLessThanOrEqual(12);
        expect(fraction.length).toBeLessThanOrEqual(20);
        expect(new Money(text).toFixed(fraction.length)).toBe(text);
      }),
      { numRuns: 5_000 },
    );
  });
});
