import fc from 'fast-check';
import { Money } from '@purser/pricing';
import {
  csvField,
  csvRecord,
  fixedAmount,
  minorUnitsOf,
  roundLargestRemainder,
} from './chargeback-csv-format';
import { parseCsv } from './chargeback-csv-testing';

const decimalText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.nat({ max: 12 }))
  .map(([negative, digits, scale]) => {
    const text = digits.toString().padStart(scale + 1, '0');
    const whole = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
    return negative && digits > 0n ? `-${whole}` : whole;
  });

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['line\nfeed', '"line\nfeed"'],
    ['', ''],
  ])('should write %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('should write null as the empty field', () => {
    expect(csvField(null)).toBe('');
  });

  it.each(['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)', '\tx'])(
    'should defuse the formula-looking text %j with a leading apostrophe',
    (value) => {
      expect(parseCsv(csvRecord([value]))[0][0]).toBe(`'${value}`);
    },
  );

  it('should leave an amount that starts with a minus as it is', () => {
    expect(csvField('-12.5', true)).toBe('-12.5');
  });

  it('should write any text so that an RFC 4180 reader reads it back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }),
        (fields) => {
          const read = parseCsv(csvRecord(fields));
          expect(read).toHaveLength(1);
          expect(read[0]).toEqual(
            fields.map((field) => (/^[=+\-@\t\r]/.test(field) ? `'${field}` : field)),
          );
        },
      ),
    );
  });
});

describe('minorUnitsOf', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['CLF', 4],
  ])('should give %s %i minor digits', (currency, digits) => {
    expect(minorUnitsOf(currency)).toBe(digits);
  });

  it.each(['usd', 'US', 'USDX', ''])('should refuse %j as a currency code', (currency) => {
    expect(() => minorUnitsOf(currency)).toThrow(/three-letter ISO 4217 code/);
  });
});

describe('roundLargestRemainder', () => {
  const round = (amounts: string[], scale: number) => {
    const { parts, total } = roundLargestRemainder(
      amounts.map((amount) => new Money(amount)),
      scale,
    );
    return {
      parts: parts.map((part) => fixedAmount(part, scale)),
      total: fixedAmount(total, scale),
    };
  };

  it('should give the missing cent to the largest remainder', () => {
    expect(round(['0.333', '0.333', '0.334'], 2)).toEqual({
      parts: ['0.33', '0.33', '0.34'],
      total: '1.00',
    });
  });

  it('should break a tie by order: the earlier line gets the unit first', () => {
    expect(round(['1.005', '1.005', '1.005', '1.005'], 2)).toEqual({
      parts: ['1.01', '1.01', '1.00', '1.00'],
      total: '4.02',
    });
  });

  it('should round the total half away from zero', () => {
    expect(round(['0.125'], 2).total).toBe('0.13');
    expect(round(['-0.125'], 2).total).toBe('-0.13');
  });

  it('should round yen to whole units and dinars to three places', () => {
    expect(round(['100.5', '100.5', '0.2'], 0)).toEqual({
      parts: ['101', '100', '0'],
      total: '201',
    });
    expect(round(['1.00049', '2.0004'], 3)).toEqual({ parts: ['1.001', '2.000'], total: '3.001' });
  });

  it('should round negative adjustments with the rest', () => {
    expect(round(['10.005', '-0.004', '-0.004'], 2)).toEqual({
      parts: ['10.00', '0.00', '0.00'],
      total: '10.00',
    });
  });

  it('should sum exactly to the rounded total, move no part by a unit or more, keep exact parts', () => {
    fc.assert(
      fc.property(
        fc.array(decimalText, { maxLength: 40 }),
        fc.constantFrom(0, 2, 3, 4),
        (amounts, scale) => {
          const values = amounts.map((amount) => new Money(amount));
          const { parts, total } = roundLargestRemainder(values, scale);
          const exactSum = values.reduce((sum, value) => sum.plus(value), new Money(0));
          expect(total.equals(exactSum.toDecimalPlaces(scale, Money.ROUND_HALF_UP))).toBe(true);
          const partSum = parts.reduce((sum, part) => sum.plus(part), new Money(0));
          expect(partSum.equals(total)).toBe(true);
          const unit = new Money(10).pow(-scale);
          parts.forEach((part, index) => {
            expect(part.decimalPlaces()).toBeLessThanOrEqual(scale);
            expect(part.minus(values[index]).abs().lessThan(unit)).toBe(true);
            if (values[index].decimalPlaces() <= scale)
              expect(part.equals(values[index])).toBe(true);
          });
        },
      ),
    );
  });
});

describe('fixedAmount', () => {
  it('should never write a negative zero', () => {
    expect(fixedAmount(new Money('-0.001'), 2)).toBe('0.00');
    expect(fixedAmount(new Money('-0.4'), 0)).toBe('0');
  });
});
