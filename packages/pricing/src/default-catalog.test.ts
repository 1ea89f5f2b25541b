import Decimal from 'decimal.js';
import { createPricingCatalog } from './catalog';
import { estimateCost } from './cost';
import { createDefaultPricingCatalog, defaultCatalogCards } from './default-catalog';
import defaultCatalog from './catalog/default-catalog.json';
import { priceCardSchema } from './price-card';

const cards = defaultCatalogCards();
const at = new Date('2026-07-24T00:00:00Z');

describe('defaultCatalogCards', () => {
  it('should parse every card with the schema', () => {
    const raw = (defaultCatalog as { cards: unknown[] }).cards;
    expect(raw.length).toBe(cards.length);
    for (const card of raw) expect(priceCardSchema.safeParse(card).success).toBe(true);
  });

  it('should have unique ids', () => {
    expect(new Set(cards.map((card) => card.id)).size).toBe(cards.length);
  });

  it('should have no negative prices', () => {
    const prices = cards.flatMap((card) => [
      ...Object.values(card.prices),
      ...card.tiers.flatMap((tier) => Object.values(tier.prices)),
      ...Object.values(card.batch_prices ?? {}),
      ...Object.values(card.unit_prices),
    ]);
    expect(prices.length).toBeGreaterThan(cards.length);
    expect(prices.filter((price) => new Decimal(price!).isNegative())).toEqual([]);
  });

  it('should have non-overlapping effective ranges per provider and model', () => {
    expect(() => createPricingCatalog(cards)).not.toThrow();
    const byModel = new Map<string, [number, number][]>();
    for (const card of cards) {
      const key = `${card.provider}/${card.model.toLowerCase()}`;
      const range: [number, number] = [
        Date.parse(card.effective_from),
        card.effective_to === undefined ? Infinity : Date.parse(card.effective_to),
      ];
      const ranges = byModel.get(key) ?? [];
      for (const [from, to] of ranges) expect(range[0] < to && from < range[1]).toBe(false);
      byModel.set(key, [...ranges, range]);
    }
  });

  it('should cover the five first-party providers and the clouds that resell them', () => {
    expect(createDefaultPricingCatalog().providers()).toEqual([
      'anthropic',
      'azure',
      'bedrock',
      'deepseek',
      'google',
      'openai',
      'xai',
    ]);
  });

  it('should return copies that callers cannot use to corrupt the catalog', () => {
    defaultCatalogCards()[0]!.prices.input_tokens = '999';
    expect(defaultCatalogCards()[0]!.prices.input_tokens).not.toBe('999');
  });

  it.each([
    ['openai', 'gpt-4o-2024-08-06', 'openai/gpt-4o-2024-08-06@2026-07-24', '12.5'],
    ['openai', 'openai/gpt-4o', 'openai/gpt-4o@2026-07-24', '12.5'],
    ['openai', 'gpt-4.1', 'openai/gpt-4.1@2026-07-24', '10'],
    ['openai', 'gpt-4o-mini', 'openai/gpt-4o-mini@2026-07-24', '0.75'],
    ['anthropic', 'claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5@2026-07-24', '28.5'], // above 200k: tier,
    [
      'bedrock',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'bedrock/anthropic.claude-sonnet-4-20250514-v1:0@2026-07-24',
      '18',
    ],
    [
      'bedrock',
      'global.anthropic.claude-sonnet-4-20250514-v1:0',
      'bedrock/anthropic.claude-sonnet-4-20250514-v1:0@2026-07-24',
      '18',
    ],
    ['azure_openai', 'gpt-4.1', 'azure/gpt-4.1@2026-07-24', '10'],
    ['gemini', 'gemini/gemini-2.5-pro', 'google/gemini-2.5-pro@2026-07-24', '17.5'], // above 200k: tier,
    ['deepseek', 'deepseek-chat', 'deepseek/deepseek-chat@2026-07-24', '0.7'],
  ])('should price 1M in + 1M out of %s %s with %s', (provider, model, id, total) => {
    const catalog = createDefaultPricingCatalog();
    const result = estimateCost(catalog, {
      provider,
      model,
      usage: { input_tokens: 1_000_000, output_tokens: 1_000_000 },
      at,
    });
    expect(result.price_card_id).toBe(id);
    expect(result.total).toBe(total);
  });

  it('should end the Claude Sonnet 5 promotion after 2026-08-31', () => {
    const catalog = createDefaultPricingCatalog();
    expect(
      catalog.match('anthropic', 'claude-sonnet-5', new Date('2026-08-31T23:59:59Z')),
    ).toBeDefined();
    expect(
      catalog.match('anthropic', 'claude-sonnet-5', new Date('2026-09-01T00:00:00Z')),
    ).toBeUndefined();
  });

  it('should record the source and the date of every first-party figure', () => {
    const openai = cards.filter((card) => card.provider === 'openai');
    expect(openai.every((card) => card.source.retrieved_at === '2026-07-24')).toBe(true);
    expect(openai.every((card) => card.effective_from === '2026-07-24T00:00:00Z')).toBe(true);
    expect(openai[0]!.source.name).toBe('LiteLLM model_prices_and_context_window.json (mirror)');
  });
});
