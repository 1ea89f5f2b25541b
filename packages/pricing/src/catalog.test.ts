import { createPricingCatalog, stripRoutingPrefixes } from './catalog';
import { PricingError } from './errors';
import { testPriceCard } from './testing';

const at = new Date('2026-07-24T12:00:00Z');

describe('stripRoutingPrefixes', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['openai/gpt-4o', 'gpt-4o'],
    ['anthropic/claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['gemini/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['vertex_ai/claude-sonnet-4@20250514', 'claude-sonnet-4@20250514'],
    [
      'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
    ],
    ['bedrock/us-east-1/anthropic.claude-v2', 'anthropic.claude-v2'],
    [
      'bedrock/invoke/anthropic.claude-3-5-sonnet-20240620-v1:0',
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
    ],
    // Azure data zones change the price, so they stay.
    ['azure/eu/gpt-4o-2024-08-06', 'eu/gpt-4o-2024-08-06'],
    ['accounts/fireworks/models/llama', 'accounts/fireworks/models/llama'],
  ])('should turn %s into %s', (model, expected) => {
    expect(stripRoutingPrefixes(model)).toBe(expected);
  });
});

describe('createPricingCatalog', () => {
  describe('match order', () => {
    const exact = testPriceCard({ model: 'gpt-4o-2024-08-06', prices: { input_tokens: '2.5' } });
    const aliased = testPriceCard({
      model: 'gpt-4o',
      aliases: ['gpt-4o-latest', 'gpt-4o-2024-08-06'],
      pattern: '^gpt-4o(?:-\\d{4}-\\d{2}-\\d{2})?$',
      prices: { input_tokens: '5' },
    });
    const broad = testPriceCard({
      model: 'gpt-family',
      pattern: '^gpt-.*$',
      prices: { input_tokens: '9' },
    });
    const catalog = createPricingCatalog([broad, aliased, exact]);

    it.each([
      // exact model id beats an alias and a pattern that also match
      ['gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'exact', 'gpt-4o-2024-08-06'],
      ['openai/gpt-4o', 'gpt-4o', 'exact', 'gpt-4o'],
      // alias beats any pattern
      ['gpt-4o-latest', 'gpt-4o', 'alias', 'gpt-4o-latest'],
      // the longest matching pattern wins
      ['gpt-4o-2024-11-20', 'gpt-4o', 'pattern', 'gpt-4o-2024-11-20'],
      ['gpt-5', 'gpt-family', 'pattern', 'gpt-5'],
      ['GPT-4O-2024-08-06', 'gpt-4o-2024-08-06', 'exact', 'GPT-4O-2024-08-06'],
    ])('should resolve %s to %s by %s', (requested, model, matchedBy, name) => {
      const found = catalog.match('openai', requested, at);
      expect(found?.card.model).toBe(model);
      expect(found?.matched_by).toBe(matchedBy);
      expect(found?.model).toBe(name);
      expect(found?.provider).toBe('openai');
    });

    it('should not match another provider or an unknown model', () => {
      expect(catalog.match('anthropic', 'gpt-4o', at)).toBeUndefined();
      expect(catalog.match('openai', 'o3', at)).toBeUndefined();
    });

    it('should prefer an alias of the name as given over nothing when the stripped name is unknown', () => {
      const routed = createPricingCatalog([
        testPriceCard({ provider: 'azure', model: 'gpt-4o', aliases: ['azure/gpt-4o'] }),
      ]);
      expect(routed.match('azure_openai', 'azure/gpt-4o', at)?.matched_by).toBe('exact');
      expect(routed.match('azure', 'eu/gpt-4o', at)).toBeUndefined();
    });
  });

  describe('providers', () => {
    const google = testPriceCard({ provider: 'google', model: 'gemini-2.5-pro' });
    const catalog = createPricingCatalog([google]);

    it.each(['google', 'gemini', 'vertex_ai', 'vertex_ai-language-models', 'Google'])(
      'should find the google card when the provider is spelled %s',
      (provider) => {
        expect(catalog.match(provider, 'gemini/gemini-2.5-pro', at)?.card.id).toBe(google.id);
      },
    );

    it('should canonicalise the provider of a card', () => {
      const card = testPriceCard({ provider: 'vertex_ai', model: 'gemini-2.0-flash' });
      expect(
        createPricingCatalog([card]).match('google', 'gemini-2.0-flash', at)?.card.provider,
      ).toBe('google');
    });
  });

  describe('cloud ids', () => {
    const firstParty = testPriceCard({
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      prices: { input_tokens: '3', output_tokens: '15' },
    });
    const bedrock = testPriceCard({
      provider: 'bedrock',
      model: 'anthropic.claude-sonnet-4-20250514-v1:0',
      aliases: ['us.anthropic.claude-sonnet-4-20250514-v1:0'],
      pattern: '^(?:(?:us|eu|apac|global)\\.)?anthropic\\.claude-sonnet-4-20250514-v1:0$',
      prices: { input_tokens: '3', output_tokens: '15' },
    });
    const catalog = createPricingCatalog([firstParty, bedrock]);

    it.each([
      ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'alias'],
      ['global.anthropic.claude-sonnet-4-20250514-v1:0', 'pattern'],
      ['apac.anthropic.claude-sonnet-4-20250514-v1:0', 'pattern'],
      ['anthropic.claude-sonnet-4-20250514-v1:0', 'exact'],
      ['bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0', 'pattern'],
    ])('should resolve the Bedrock id %s to the bedrock card (%s)', (model, matchedBy) => {
      const found = catalog.match('bedrock_converse', model, at);
      expect(found?.card.id).toBe(bedrock.id);
      expect(found?.matched_by).toBe(matchedBy);
    });

    it('should not resolve a lookalike id', () => {
      expect(
        catalog.match('bedrock', 'xx.anthropic.claude-sonnet-4-20250514-v1:0', at),
      ).toBeUndefined();
      expect(
        catalog.match('bedrock', 'anthropic.claude-sonnet-4-20250514-v1:0-extra', at),
      ).toBeUndefined();
    });
  });

  describe('effective dating', () => {
    const old = testPriceCard({
      id: 'openai/gpt-4o@2025-09-01',
      model: 'gpt-4o',
      effective_from: '2025-09-01T00:00:00Z',
      effective_to: '2026-07-24T00:00:00Z',
      prices: { input_tokens: '5' },
    });
    const current = testPriceCard({
      id: 'openai/gpt-4o@2026-07-24',
      model: 'gpt-4o',
      effective_from: '2026-07-24T00:00:00Z',
      prices: { input_tokens: '2.5' },
    });
    const catalog = createPricingCatalog([current, old]);

    it.each([
      ['2025-08-31T23:59:59.999Z', undefined],
      ['2025-09-01T00:00:00.000Z', 'openai/gpt-4o@2025-09-01'],
      ['2026-07-23T23:59:59.999Z', 'openai/gpt-4o@2025-09-01'],
      // At the boundary instant the new version applies.
      ['2026-07-24T00:00:00.000Z', 'openai/gpt-4o@2026-07-24'],
      ['2030-01-01T00:00:00.000Z', 'openai/gpt-4o@2026-07-24'],
    ])('should price a call at %s with %s', (instant, id) => {
      expect(catalog.match('openai', 'gpt-4o', new Date(instant))?.card.id).toBe(id);
    });

    it('should list versions oldest first and filter the listing by instant', () => {
      expect(catalog.versions('openai', 'gpt-4o').map((card) => card.id)).toEqual([
        old.id,
        current.id,
      ]);
      expect(catalog.list({ at: new Date('2026-01-01T00:00:00Z') }).map((card) => card.id)).toEqual(
        [old.id],
      );
      expect(catalog.list({ provider: 'anthropic' })).toEqual([]);
      expect(catalog.providers()).toEqual(['openai']);
    });

    it('should answer repeated lookups on both sides of a boundary with the version then in force', () => {
      const instants = [
        '2026-07-24T00:00:00.000Z',
        '2026-07-23T23:59:59.999Z',
        '2026-07-24T00:00:00.000Z',
        '2025-08-31T23:59:59.999Z',
        '2026-07-23T23:59:59.999Z',
      ];
      expect(
        instants.map((instant) => catalog.match('openai', 'gpt-4o', new Date(instant))?.card.id),
      ).toEqual([current.id, old.id, current.id, undefined, old.id]);
    });

    it('should not let a caller that changes an answer change the next one', () => {
      const first = catalog.match('openai', 'gpt-4o', at)!;
      first.model = 'changed';
      expect(catalog.match('openai', 'gpt-4o', at)?.model).toBe('gpt-4o');
    });

    it('should return nothing for an invalid date', () => {
      expect(catalog.match('openai', 'gpt-4o', new Date('nope'))).toBeUndefined();
    });

    it('should fall through to an alias when the exact model has no version in force', () => {
      const later = testPriceCard({ model: 'o3', effective_from: '2027-01-01T00:00:00Z' });
      const family = testPriceCard({ model: 'o3-2025-04-16', aliases: ['o3'] });
      const mixed = createPricingCatalog([later, family]);
      expect(mixed.match('openai', 'o3', at)?.card.id).toBe(family.id);
      expect(mixed.match('openai', 'o3', new Date('2027-01-01T00:00:00Z'))?.card.id).toBe(later.id);
    });
  });

  describe('validation', () => {
    it('should reject two versions in force at the same instant', () => {
      const first = testPriceCard({ id: 'a', model: 'm', effective_from: '2026-01-01T00:00:00Z' });
      const second = testPriceCard({ id: 'b', model: 'M', effective_from: '2026-06-01T00:00:00Z' });
      expect(() => createPricingCatalog([first, second])).toThrow(
        expect.objectContaining({ code: 'CONFLICTING_PRICE_CARDS' }),
      );
    });

    it('should accept back-to-back versions', () => {
      const first = testPriceCard({
        id: 'a',
        effective_from: '2026-01-01T00:00:00Z',
        effective_to: '2026-06-01T00:00:00Z',
      });
      const second = testPriceCard({ id: 'b', effective_from: '2026-06-01T00:00:00Z' });
      expect(createPricingCatalog([second, first]).list()).toHaveLength(2);
    });

    it('should reject duplicate ids', () => {
      const card = testPriceCard();
      expect(() => createPricingCatalog([card, { ...card, model: 'other' }])).toThrow(
        /duplicate price card id/,
      );
    });

    it('should reject an invalid card and name it', () => {
      const card = { ...testPriceCard(), prices: { input_tokens: '-1' } };
      let error: unknown;
      try {
        createPricingCatalog([card]);
      } catch (caught) {
        error = caught;
      }
      expect(PricingError.isInstance(error)).toBe(true);
      expect((error as PricingError).code).toBe('INVALID_PRICE_CARD');
      expect((error as PricingError).message).toContain('openai/test-model@2026-01-01');
      expect((error as PricingError).message).toContain('prices.input_tokens');
    });

    it('should give equal catalogs equal revisions regardless of card order', () => {
      const first = testPriceCard({ id: 'a', model: 'a' });
      const second = testPriceCard({ id: 'b', model: 'b' });
      const revision = createPricingCatalog([first, second]).revision;
      expect(createPricingCatalog([second, first]).revision).toBe(revision);
      expect(revision).toMatch(/^[0-9a-f]{8}$/);
      const changed = { ...second, prices: { input_tokens: '1.5' } };
      expect(createPricingCatalog([first, changed]).revision).not.toBe(revision);
    });
  });
});
