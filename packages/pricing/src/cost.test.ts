import { createPricingCatalog } from './catalog';
import fc from 'fast-check';

import { calculateCost, estimateCost, isCanonicalUsage, selectTier } from './cost';
import { PricingError } from './errors';
import { expectEquivalent, testPriceCard } from './testing';
import { usageSchema } from './usage';
import type { Usage } from './usage';

/** Claude Sonnet 4.5's list prices with its above-200k tier. */
const sonnet = testPriceCard({
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: {
    input_tokens: '3',
    cache_read_tokens: '0.3',
    cache_write_tokens: '3.75',
    cache_write_1h_tokens: '6',
    output_tokens: '15',
  },
  tiers: [
    {
      above_prompt_tokens: 200_000,
      prices: {
        input_tokens: '6',
        cache_read_tokens: '0.6',
        cache_write_tokens: '7.5',
        output_tokens: '22.5',
      },
    },
  ],
  unit_prices: { web_search_requests: '0.01' },
});

describe('calculateCost', () => {
  it('should price every cache bucket at its own rate, to the last decimal', () => {
    const result = calculateCost({
      card: sonnet,
      usage: {
        input_tokens: 1000,
        cache_read_tokens: 2000,
        cache_write_tokens: 3000,
        cache_write_1h_tokens: 4000,
        output_tokens: 500,
      },
    });
    expect(result.breakdown).toEqual([
      { key: 'input_tokens', quantity: 1000, unit_price: '0.000003', amount: '0.003' },
      { key: 'cache_read_tokens', quantity: 2000, unit_price: '0.0000003', amount: '0.0006' },
      { key: 'cache_write_tokens', quantity: 3000, unit_price: '0.00000375', amount: '0.01125' },
      { key: 'cache_write_1h_tokens', quantity: 4000, unit_price: '0.000006', amount: '0.024' },
      { key: 'output_tokens', quantity: 500, unit_price: '0.000015', amount: '0.0075' },
    ]);
    expect(result.total).toBe('0.04635');
    expect(result.currency).toBe('USD');
    expect(result.price_card_id).toBe(sonnet.id);
    expect(result.tier).toBeUndefined();
    expect(result.unpriced_keys).toEqual([]);
  });

  it('should never bill reasoning tokens on top of output tokens', () => {
    const withReasoning = calculateCost({
      card: sonnet,
      usage: { output_tokens: 1000, reasoning_tokens: 800 },
    });
    expect(withReasoning.total).toBe('0.015');
    expect(withReasoning.breakdown.map((line) => line.key)).toEqual(['output_tokens']);
    expect(withReasoning.unpriced_keys).toEqual([]);
  });

  it('should sum exactly where binary floats would not (0.1 + 0.2)', () => {
    const card = testPriceCard({ prices: { input_tokens: '0.1', output_tokens: '0.2' } });
    const result = calculateCost({
      card,
      usage: { input_tokens: 1_000_000, output_tokens: 1_000_000 },
    });
    expect(result.total).toBe('0.3');
    const tiny = calculateCost({
      card: testPriceCard({ prices: { input_tokens: '0.075' } }),
      usage: { input_tokens: 7 },
    });
    expect(tiny.total).toBe('0.000000525');
  });

  it('should keep the base price at exactly 200,000 prompt tokens', () => {
    const result = calculateCost({
      card: sonnet,
      usage: { input_tokens: 150_000, cache_read_tokens: 50_000, output_tokens: 1000 },
    });
    expect(result.tier).toBeUndefined();
    expect(result.total).toBe('0.48');
  });

  it('should apply the tier to every token once cache tokens push the prompt above 200k', () => {
    const result = calculateCost({
      card: sonnet,
      usage: {
        input_tokens: 150_000,
        cache_read_tokens: 50_000,
        cache_write_tokens: 1,
        output_tokens: 1000,
      },
    });
    expect(result.tier).toEqual({ above_prompt_tokens: 200_000 });
    expect(result.breakdown.map((line) => [line.key, line.amount])).toEqual([
      ['input_tokens', '0.9'],
      ['cache_read_tokens', '0.03'],
      ['cache_write_tokens', '0.0000075'],
      ['output_tokens', '0.0225'],
    ]);
    expect(result.total).toBe('0.9525075');
  });

  it('should fall back to the base price for a key the tier does not list', () => {
    const result = calculateCost({
      card: sonnet,
      usage: { input_tokens: 300_000, cache_write_1h_tokens: 1000 },
    });
    expect(result.tier).toEqual({ above_prompt_tokens: 200_000 });
    expect(result.breakdown).toEqual([
      { key: 'input_tokens', quantity: 300_000, unit_price: '0.000006', amount: '1.8' },
      { key: 'cache_write_1h_tokens', quantity: 1000, unit_price: '0.000006', amount: '0.006' },
    ]);
    expect(result.total).toBe('1.806');
  });

  it('should pick the highest tier the prompt exceeds', () => {
    const tiers = [
      { above_prompt_tokens: 128_000, prices: { input_tokens: '2' } },
      { above_prompt_tokens: 272_000, prices: { input_tokens: '4' } },
    ];
    expect(selectTier(tiers, 128_000)).toBeUndefined();
    expect(selectTier(tiers, 128_001)?.above_prompt_tokens).toBe(128_000);
    expect(selectTier(tiers, 272_001)?.above_prompt_tokens).toBe(272_000);
  });

  it('should use batch prices for a batch call and standard prices otherwise', () => {
    const card = testPriceCard({
      model: 'gpt-4o',
      prices: { input_tokens: '2.5', cache_read_tokens: '1.25', output_tokens: '10' },
      batch_prices: { input_tokens: '1.25', output_tokens: '5' },
    });
    const usage: Usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };
    expect(calculateCost({ card, usage }).total).toBe('12.5');
    const batch = calculateCost({ card, usage, batch: true });
    expect(batch.total).toBe('6.25');
    expect(batch.batch).toBe(true);
    expect(batch.warnings).toEqual([]);
    // No batch price for cache reads and no discount: standard price, with a warning.
    const cached = calculateCost({ card, usage: { cache_read_tokens: 1_000_000 }, batch: true });
    expect(cached.total).toBe('1.25');
    expect(cached.warnings).toEqual([
      `${card.id} has no batch price for cache_read_tokens; standard price used`,
    ]);
  });

  it('should apply a batch discount to the price in force, tiers included', () => {
    const card = testPriceCard({
      prices: { input_tokens: '3', output_tokens: '15' },
      tiers: [{ above_prompt_tokens: 200_000, prices: { input_tokens: '6' } }],
      batch_discount: '0.5',
    });
    // A 1M-token prompt is in the tier: 1M × $6 × 0.5 + 2M × $15 × 0.5.
    expect(
      calculateCost({
        card,
        usage: { input_tokens: 1_000_000, output_tokens: 2_000_000 },
        batch: true,
      }).total,
    ).toBe('18');
    expect(calculateCost({ card, usage: { input_tokens: 100_000 }, batch: true }).total).toBe(
      '0.15',
    );
  });

  it('should price units the card prices and flag the rest as unpriced', () => {
    const result = calculateCost({
      card: sonnet,
      usage: { input_tokens: 10, units: { web_search_requests: 3, images: 2, free_thing: 0 } },
    });
    expect(result.breakdown).toEqual([
      { key: 'input_tokens', quantity: 10, unit_price: '0.000003', amount: '0.00003' },
      { key: 'web_search_requests', quantity: 3, unit_price: '0.01', amount: '0.03' },
    ]);
    expect(result.total).toBe('0.03003');
    expect(result.unpriced_keys).toEqual(['images']);
  });

  it('should flag a unit named like an Object.prototype member as unpriced, not throw', () => {
    const result = calculateCost({
      card: sonnet,
      usage: { units: { constructor: 1, toString: 2, hasOwnProperty: 3, web_search_requests: 1 } },
    });
    expect(result.unpriced_keys).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    expect(result.total).toBe('0.01');
  });

  it('should list a token key with usage but no price as unpriced, never as free', () => {
    const card = testPriceCard({ prices: { input_tokens: '1', output_tokens: '2' } });
    const result = calculateCost({
      card,
      usage: { input_tokens: 1_000_000, cache_write_tokens: 500, cache_read_tokens: 0 },
    });
    expect(result.total).toBe('1');
    expect(result.unpriced_keys).toEqual(['cache_write_tokens']);
  });

  it('should price an explicit zero price as free, not unpriced', () => {
    const card = testPriceCard({ prices: { input_tokens: '1', cache_write_tokens: '0' } });
    const result = calculateCost({ card, usage: { cache_write_tokens: 500 } });
    expect(result.total).toBe('0');
    expect(result.unpriced_keys).toEqual([]);
    expect(result.breakdown).toEqual([
      { key: 'cache_write_tokens', quantity: 500, unit_price: '0', amount: '0' },
    ]);
  });

  it('should make the total the exact sum of the breakdown amounts', () => {
    const card = testPriceCard({
      prices: { input_tokens: '0.15', cache_read_tokens: '0.075', output_tokens: '0.6' },
    });
    const result = calculateCost({
      card,
      usage: { input_tokens: 123_457, cache_read_tokens: 98_765, output_tokens: 4_321 },
    });
    expect(result.breakdown.map((line) => line.amount)).toEqual([
      '0.01851855',
      '0.007407375',
      '0.0025926',
    ]);
    expect(result.total).toBe('0.028518525');
  });

  it('should reject usage outside the vocabulary', () => {
    expect(() =>
      calculateCost({ card: sonnet, usage: { prompt_tokens: 5 } as unknown as Usage }),
    ).toThrow(PricingError);
    expect(() => calculateCost({ card: sonnet, usage: { input_tokens: -1 } })).toThrow(
      /input_tokens/,
    );
  });

  it.each([
    ['a fractional token count', { input_tokens: 1.5 }],
    ['NaN', { input_tokens: Number.NaN }],
    ['an infinite count', { output_tokens: Number.POSITIVE_INFINITY }],
    ['more than 1e12 tokens', { output_tokens: 1e13 }],
    ['a count as a string', { input_tokens: '5' }],
    ['an unnamed unit', { units: { '': 1 } }],
    ['a negative unit count', { units: { web_search_requests: -1 } }],
    ['units as an array', { units: [1] }],
    ['an array', [1]],
    ['null', null],
  ])('should reject %s as usage', (_name, usage) => {
    expect(() => calculateCost({ card: sonnet, usage: usage as unknown as Usage })).toThrow(
      PricingError,
    );
  });

  it('should report the currency of the card', () => {
    const card = testPriceCard({ currency: 'EUR' });
    expect(calculateCost({ card, usage: { input_tokens: 1 } }).currency).toBe('EUR');
  });
});

describe('estimateCost', () => {
  const catalog = createPricingCatalog([sonnet]);
  const at = new Date('2026-07-24T12:00:00Z');

  it('should match the card and price the usage', () => {
    const result = estimateCost(catalog, {
      provider: 'Anthropic',
      model: 'anthropic/claude-sonnet-4-5',
      usage: { input_tokens: 100_000, output_tokens: 100_000 },
      at,
    });
    expect(result.priced).toBe(true);
    expect(result.total).toBe('1.8');
    expect(result.price_card_id).toBe(sonnet.id);
    expect(result.match).toEqual({
      matched_by: 'exact',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
  });

  it('should flag every non-zero key as unpriced when no card matches', () => {
    const result = estimateCost(catalog, {
      provider: 'anthropic',
      model: 'claude-unknown-9',
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: 0,
        reasoning_tokens: 3,
        units: { web_search_requests: 1 },
      },
      at,
    });
    expect(result).toEqual({
      total: '0',
      currency: 'USD',
      breakdown: [],
      batch: false,
      unpriced_keys: ['input_tokens', 'output_tokens', 'web_search_requests'],
      warnings: [],
      priced: false,
    });
  });

  it('should not match before the card is in force', () => {
    const result = estimateCost(catalog, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      usage: { input_tokens: 1 },
      at: new Date('2025-12-31T23:59:59.999Z'),
    });
    expect(result.priced).toBe(false);
    expect(result.unpriced_keys).toEqual(['input_tokens']);
  });
});

describe('isCanonicalUsage (the fast twin of usageSchema)', () => {
  it('should take usage as it is only where the schema answers the same usage', () => {
    const mostly = (valid: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { weight: 6, arbitrary: valid },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            -1,
            0.5,
            1e12,
            1e12 + 1,
            NaN,
            Infinity,
            '5',
            null,
            undefined,
            {},
          ),
        },
      );
    const usage = fc.oneof(
      {
        weight: 9,
        arbitrary: fc.record(
          {
            input_tokens: mostly(fc.nat()),
            output_tokens: mostly(fc.nat()),
            cache_read_tokens: mostly(fc.nat()),
            reasoning_tokens: mostly(fc.nat()),
            units: mostly(
              fc.dictionary(
                fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor')),
                fc.oneof(fc.double({ min: 0, max: 1e6 }), fc.constantFrom(-1, 1e13, NaN)),
                { maxKeys: 3 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const { fast, schema } = expectEquivalent({
      fast: (value: unknown) => (isCanonicalUsage(value) ? value : undefined),
      reference: (value) => usageSchema.safeParse(value),
      // The same quantities under the same keys: the schema copies into plain objects in its
      // own key order what the fast path takes as it is (a null-prototype `units`, the
      // caller's order); pricing reads both alike (token keys in vocabulary order, unit names
      // sorted).
      compare: (fast, schema) => expect(fast).toEqual(schema),
      arbitrary: usage,
      runs: 3000,
    });
    expect(fast).toBeGreaterThan(300);
    expect(schema).toBeGreaterThan(300);
  });
});
