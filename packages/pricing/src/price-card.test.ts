import { DECIMAL_STRING_PATTERN, priceCardSchema } from './price-card';
import { testPriceCard } from './testing';

describe('priceCardSchema', () => {
  it.each(['0', '2.5', '0.075', '15', '0.00000001', '123456789012.5'])(
    'should accept the decimal string %s',
    (value) => {
      expect(DECIMAL_STRING_PATTERN.test(value)).toBe(true);
    },
  );

  it.each(['-1', '-0.5', '1e-6', '2.5e-6', '01', '.5', '5.', '1,000', ' 1', 'NaN', 'Infinity', ''])(
    'should reject the price %j',
    (value) => {
      const result = priceCardSchema.safeParse({
        ...testPriceCard(),
        prices: { input_tokens: value },
      });
      expect(result.success).toBe(false);
    },
  );

  it('should apply defaults', () => {
    const card = priceCardSchema.parse({
      id: 'x',
      provider: 'openai',
      model: 'x',
      effective_from: '2026-07-24T00:00:00Z',
      prices: { input_tokens: '1' },
      source: { name: 'test', retrieved_at: '2026-07-24' },
    });
    expect(card).toMatchObject({ aliases: [], tiers: [], unit_prices: {}, currency: 'USD' });
  });

  it.each([
    ['an unanchored pattern', { pattern: 'gpt-4o' }],
    ['an invalid pattern', { pattern: '^gpt-(4o$' }],
    ['an end before the start', { effective_to: '2025-01-01T00:00:00Z' }],
    ['an end equal to the start', { effective_to: '2026-01-01T00:00:00Z' }],
    ['a lowercase currency', { currency: 'usd' }],
    ['a non-RFC 3339 instant', { effective_from: '24/07/2026' }],
    ['an unknown price key', { prices: { prompt_tokens: '1' } }],
    ['a batch discount above 1', { batch_discount: '1.5' }],
    [
      'duplicate tier thresholds',
      {
        tiers: [
          { above_prompt_tokens: 200000, prices: { input_tokens: '6' } },
          { above_prompt_tokens: 200000, prices: { input_tokens: '7' } },
        ],
      },
    ],
    ['a negative unit price', { unit_prices: { web_search_requests: '-0.01' } }],
  ])('should reject %s', (_name, override) => {
    expect(priceCardSchema.safeParse({ ...testPriceCard(), ...override }).success).toBe(false);
  });
});
