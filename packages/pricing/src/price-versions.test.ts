import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPricingCatalog } from './catalog';
import { importLiteLLM } from './litellm-import';
import { mergePriceVersions } from './price-versions';
import { testPriceCard } from './testing';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

describe('mergePriceVersions', () => {
  const older = importLiteLLM(fixture('litellm-2025-09-full.json'), {
    source: { name: 'LiteLLM full', retrieved_at: '2025-09-01' },
    effective_from: '2025-09-01T00:00:00Z',
  }).cards;
  const newer = importLiteLLM(fixture('litellm-2026-07-subset.json'), {
    source: { name: 'LiteLLM mirror', retrieved_at: '2026-07-24' },
    effective_from: '2026-07-24T00:00:00Z',
  }).cards;

  it('should version a changed price instead of overwriting it', () => {
    const first = mergePriceVersions([], older);
    expect(first.created).toBe(older.length);
    const second = mergePriceVersions(first.cards, newer);
    const catalog = createPricingCatalog(second.cards);
    expect(
      catalog
        .versions('deepseek', 'deepseek-chat')
        .map((card) => [card.id, card.effective_to, card.prices.input_tokens]),
    ).toEqual([
      ['deepseek/deepseek-chat@2025-09-01', '2026-07-24T00:00:00Z', '0.14'],
      ['deepseek/deepseek-chat@2026-07-24', undefined, '0.28'],
    ]);
    expect(
      catalog.match('deepseek', 'deepseek-chat', new Date('2026-07-23T23:59:59Z'))?.card.prices
        .output_tokens,
    ).toBe('0.28');
    expect(
      catalog.match('deepseek', 'deepseek-chat', new Date('2026-07-24T00:00:00Z'))?.card.prices
        .output_tokens,
    ).toBe('0.42');
    // unchanged gpt-4o-mini stays a single version from 2025-09-01
    expect(catalog.versions('openai', 'gpt-4o-mini').map((card) => card.id)).toEqual([
      'openai/gpt-4o-mini@2025-09-01',
    ]);
    expect(second.created + second.updated + second.skipped + second.conflicts.length).toBe(
      newer.length,
    );
    expect(second.conflicts).toEqual([]);
    expect(second.skipped).toBeGreaterThan(0);
  });

  it('should make an identical re-import a no-op', () => {
    const once = mergePriceVersions([], newer);
    const twice = mergePriceVersions(once.cards, newer);
    expect(twice).toMatchObject({ created: 0, updated: 0, skipped: newer.length, conflicts: [] });
    expect(twice.cards).toEqual(once.cards);
  });

  it('should slot an older import in before the newer version', () => {
    const current = testPriceCard({
      id: 'new',
      model: 'm',
      effective_from: '2026-07-24T00:00:00Z',
      prices: { input_tokens: '2' },
    });
    const past = testPriceCard({
      id: 'old',
      model: 'm',
      effective_from: '2025-09-01T00:00:00Z',
      prices: { input_tokens: '3' },
    });
    const result = mergePriceVersions([current], [past]);
    expect(result.created).toBe(1);
    expect(result.cards.map((card) => [card.id, card.effective_from, card.effective_to])).toEqual([
      ['old', '2025-09-01T00:00:00Z', '2026-07-24T00:00:00.000Z'],
      ['new', '2026-07-24T00:00:00Z', undefined],
    ]);
    expect(() => createPricingCatalog(result.cards)).not.toThrow();
  });

  it('should report a different price starting at the same instant as a conflict', () => {
    const current = testPriceCard({ id: 'a', prices: { input_tokens: '2' } });
    const rival = testPriceCard({ id: 'b', prices: { input_tokens: '3' } });
    const result = mergePriceVersions([current], [rival]);
    expect(result.cards).toEqual([current]);
    expect(result.conflicts).toEqual([
      { id: 'b', message: 'a already starts at 2026-01-01T00:00:00Z with different prices' },
    ]);
  });

  it('should fold new aliases into an unchanged version', () => {
    const current = testPriceCard({ id: 'a', aliases: ['x'] });
    const result = mergePriceVersions([current], [testPriceCard({ id: 'b', aliases: ['x', 'y'] })]);
    expect(result).toMatchObject({ created: 0, updated: 1, skipped: 0 });
    expect(result.cards.map((card) => [card.id, card.aliases])).toEqual([['a', ['x', 'y']]]);
  });

  it('should keep a closed version closed when a change lands inside it', () => {
    const closed = testPriceCard({
      id: 'a',
      effective_to: '2026-06-01T00:00:00Z',
      prices: { input_tokens: '1' },
    });
    const later = testPriceCard({
      id: 'c',
      effective_from: '2026-06-01T00:00:00Z',
      prices: { input_tokens: '5' },
    });
    const middle = testPriceCard({
      id: 'b',
      effective_from: '2026-03-01T00:00:00Z',
      prices: { input_tokens: '2' },
    });
    const result = mergePriceVersions([closed, later], [middle]);
    expect(result.cards.map((card) => [card.id, card.effective_from, card.effective_to])).toEqual([
      ['a', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
      ['b', '2026-03-01T00:00:00Z', '2026-06-01T00:00:00Z'],
      ['c', '2026-06-01T00:00:00Z', undefined],
    ]);
  });
});
