import { AdapterError } from '../errors';
import { jsonDecimal, quoteJsonNumbers, readBillingJson } from './billing-json';

describe('quoteJsonNumbers', () => {
  it.each([
    ['{"a": 6.209044}', '{"a": "6.209044"}'],
    ['[1, -2.5e-7, 0]', '["1", "-2.5e-7", "0"]'],
    ['{"s": "1.5 \\" 2", "n": 3}', '{"s": "1.5 \\" 2", "n": "3"}'],
    ['{"t": true, "f": null}', '{"t": true, "f": null}'],
  ])('should quote the numbers of %s', (text, expected) => {
    expect(quoteJsonNumbers(text)).toBe(expected);
  });

  it('should keep an amount beyond float precision exactly', () => {
    const value = readBillingJson(
      '{"amount": {"value": 0.1000000000000000055511151231257827}}',
      'test',
    ) as {
      amount: { value: string };
    };
    expect(jsonDecimal.parse(value.amount.value)).toBe('0.1000000000000000055511151231257827');
    expect(jsonDecimal.parse('1e-7')).toBe('0.0000001');
  });

  it('should word bad JSON on the text as received', () => {
    try {
      readBillingJson('{"a": 1,}', 'openai costs page 1');
      throw new Error('expected a throw');
    } catch (error) {
      expect(AdapterError.isInstance(error) && error.code).toBe('INVALID_BILLING_RESPONSE');
      expect((error as Error).message).toMatch(
        /^openai costs page 1: invalid JSON at line 1, column 9/,
      );
    }
  });

  it.each(['{"a": -}', '{1: 2}', '{"a": 1.2.3}', '{"a": 01}'])(
    'should not let the quoting make %s valid',
    (text) => {
      expect(() => readBillingJson(text, 'page')).toThrow(/^page: invalid JSON at line 1/);
    },
  );

  it('should refuse an exponent too large to write out', () => {
    expect(jsonDecimal.safeParse('1e400').success).toBe(false);
  });
});
