import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPricingCatalog } from './catalog';
import { calculateCost } from './cost';
import { importLiteLLM, type LiteLLMImportResult } from './litellm-import';
import type { PriceCard } from './price-card';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8'));
}

const mirrorSource = { name: 'LiteLLM mirror', retrieved_at: '2026-07-24' };
const fullSource = { name: 'LiteLLM full', retrieved_at: '2025-09-01' };
const mirror = importLiteLLM(fixture('litellm-2026-07-subset.json'), {
  source: mirrorSource,
  effective_from: '2026-07-24T00:00:00Z',
});
const full = importLiteLLM(fixture('litellm-2025-09-full.json'), {
  source: fullSource,
  effective_from: '2025-09-01T00:00:00Z',
});

function card(result: LiteLLMImportResult, provider: string, model: string): PriceCard {
  const found = result.cards.find((entry) => entry.provider === provider && entry.model === model);
  if (found === undefined) throw new Error(`no card for ${provider}/${model}`);
  return found;
}

function skipReason(result: LiteLLMImportResult, key: string): string | undefined {
  return result.skipped.find((entry) => entry.key === key)?.reason;
}

describe('importLiteLLM', () => {
  describe('on the 2026-07-24 mirror', () => {
    it('should import every entry or say why not', () => {
      expect(mirror.errors).toEqual([]);
      expect(mirror.cards).toHaveLength(193);
      expect(mirror.skipped).toHaveLength(25);
      expect(mirror.cards.length + mirror.skipped.length).toBe(218);
    });

    it.each([
      ['openai', 'gpt-4.1', { input_tokens: '2', cache_read_tokens: '0.5', output_tokens: '8' }],
      [
        'openai',
        'gpt-4o-mini',
        { input_tokens: '0.15', cache_read_tokens: '0.075', output_tokens: '0.6' },
      ],
      [
        'openai',
        'gpt-4o-2024-08-06',
        { input_tokens: '2.5', cache_read_tokens: '1.25', output_tokens: '10' },
      ],
      [
        'anthropic',
        'claude-sonnet-4-5',
        {
          input_tokens: '3',
          cache_read_tokens: '0.3',
          cache_write_tokens: '3.75',
          cache_write_1h_tokens: '6',
          output_tokens: '15',
        },
      ],
      [
        'google',
        'gemini-2.5-pro',
        { input_tokens: '1.25', cache_read_tokens: '0.125', output_tokens: '10' },
      ],
      [
        'deepseek',
        'deepseek-chat',
        { input_tokens: '0.28', cache_read_tokens: '0.028', output_tokens: '0.42' },
      ],
      ['xai', 'grok-4.3', { input_tokens: '1.25', cache_read_tokens: '0.2', output_tokens: '2.5' }],
      ['google', 'gemini-embedding-001', { input_tokens: '0.15', output_tokens: '0' }],
    ])('should convert %s/%s to per-1M prices exactly', (provider, model, prices) => {
      expect(card(mirror, provider, model).prices).toEqual(prices);
    });

    it('should carry tiers, batch prices, web search and the source', () => {
      const sonnet = card(mirror, 'anthropic', 'claude-sonnet-4-5');
      expect(sonnet.id).toBe('anthropic/claude-sonnet-4-5@2026-07-24');
      expect(sonnet.tiers).toEqual([
        {
          above_prompt_tokens: 200_000,
          prices: {
            input_tokens: '6',
            cache_read_tokens: '0.6',
            cache_write_tokens: '7.5',
            cache_write_1h_tokens: '12',
            output_tokens: '22.5',
          },
        },
      ]);
      expect(sonnet.unit_prices).toEqual({ web_search_requests: '0.01' });
      expect(sonnet.source).toEqual(mirrorSource);
      expect(sonnet.effective_from).toBe('2026-07-24T00:00:00Z');
      expect(card(mirror, 'openai', 'gpt-4.1').batch_prices).toEqual({
        input_tokens: '1',
        output_tokens: '4',
      });
      // 272k tier of the GPT-5.6 family
      expect(card(mirror, 'openai', 'gpt-5.6').tiers).toEqual([
        {
          above_prompt_tokens: 272_000,
          prices: {
            input_tokens: '10',
            cache_read_tokens: '1',
            cache_write_tokens: '12.5',
            output_tokens: '45',
          },
        },
      ]);
      expect(card(mirror, 'google', 'gemini-2.5-pro').unit_prices).toEqual({
        web_search_requests: '0.035',
      });
    });

    it('should price a real call with imported figures to the last decimal', () => {
      const result = calculateCost({
        card: card(mirror, 'anthropic', 'claude-sonnet-4-5'),
        usage: {
          input_tokens: 1234,
          cache_read_tokens: 10_000,
          cache_write_tokens: 2000,
          cache_write_1h_tokens: 500,
          output_tokens: 789,
          reasoning_tokens: 100,
        },
      });
      // 1234×3 + 10000×0.3 + 2000×3.75 + 500×6 + 789×15 = 29037 micro-dollars
      expect(result.total).toBe('0.029037');
    });

    it('should handle odd entries', () => {
      expect(skipReason(mirror, 'gpt-image-1')).toMatch(/image_generation/);
      expect(skipReason(mirror, 'gpt-4o-transcribe')).toMatch(/audio_transcription/);
      expect(skipReason(mirror, 'gpt-4o-mini-tts')).toMatch(/audio_speech/);
      // volcengine lists 0.0 for everything: a placeholder, not a free model
      expect(skipReason(mirror, 'deepseek-v3-2-251201')).toMatch(/every token price is 0/);
      // DeepSeek V4 writes the cache for free: an explicit 0 next to real prices is kept
      expect(card(mirror, 'deepseek', 'deepseek-v4-flash').prices.cache_write_tokens).toBe('0');
      // the mirror's promotional override keeps its comment
      expect(card(mirror, 'anthropic', 'claude-sonnet-5').notes).toEqual(
        expect.arrayContaining([expect.stringContaining('Promotional pricing through 2026-08-31')]),
      );
      expect(card(mirror, 'anthropic', 'claude-fable-5').notes).toContain(
        'provider_specific_entry {"fast":6,"us":1.1} not applied (multipliers)',
      );
      // Bedrock's entry in the mirror is named with a version suffix
      expect(card(mirror, 'bedrock', 'claude-sonnet-4-5-20250929-v1:0').prices.input_tokens).toBe(
        '3',
      );
      expect(card(mirror, 'openai', 'gpt-3.5-turbo-instruct').prices).toEqual({
        input_tokens: '1.5',
        output_tokens: '2',
      });
    });
  });

  describe('on the 2025-09-01 full list', () => {
    it('should import or explain all 1,701 entries', () => {
      expect(full.errors).toEqual([]);
      expect(full.cards.length).toBeGreaterThan(1000);
      const folded = full.cards.reduce((sum, entry) => sum + entry.aliases.length, 0);
      // every key is a card, an alias of one, or skipped with a reason
      const accounted = new Set([
        ...full.cards.flatMap((entry) => [entry.model, ...entry.aliases]),
        ...full.skipped.map((entry) => entry.key),
      ]);
      const keys = Object.keys(fixture('litellm-2025-09-full.json') as object);
      expect(keys.filter((key) => !accounted.has(key))).toEqual([]);
      expect(folded).toBeGreaterThan(0);
    });

    it.each([
      [
        'openai',
        'gpt-4o-mini',
        { input_tokens: '0.15', cache_read_tokens: '0.075', output_tokens: '0.6' },
      ],
      // no cache_read_input_token_cost here: DeepSeek's "cache hit" price stands in
      [
        'deepseek',
        'deepseek-chat',
        { input_tokens: '0.14', cache_read_tokens: '0.014', output_tokens: '0.28' },
      ],
      ['azure', 'gpt-4.1', { input_tokens: '2', cache_read_tokens: '0.5', output_tokens: '8' }],
      // Azure data zones carry a 10% uplift and stay separate models
      [
        'azure',
        'eu/gpt-4o-2024-08-06',
        { input_tokens: '2.75', cache_read_tokens: '1.375', output_tokens: '11' },
      ],
    ])('should convert %s/%s exactly', (provider, model, prices) => {
      expect(card(full, provider, model).prices).toEqual(prices);
    });

    it('should take the medium search context price as the web search unit price', () => {
      expect(card(full, 'openai', 'gpt-4o-mini-2024-07-18').unit_prices).toEqual({
        web_search_requests: '0.0275',
      });
    });

    it('should fold Bedrock region ids into the base id and keep regional prices apart', () => {
      const sonnet = card(full, 'bedrock', 'anthropic.claude-sonnet-4-20250514-v1:0');
      expect(sonnet.aliases).toEqual(
        expect.arrayContaining([
          'us.anthropic.claude-sonnet-4-20250514-v1:0',
          'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          'apac.anthropic.claude-sonnet-4-20250514-v1:0',
        ]),
      );
      const catalog = createPricingCatalog(full.cards);
      const at = new Date('2025-10-01T00:00:00Z');
      expect(
        catalog.match('bedrock', 'global.anthropic.claude-sonnet-4-20250514-v1:0', at)?.card.id,
      ).toBe(sonnet.id);
      expect(
        catalog.match('bedrock_converse', 'us.anthropic.claude-sonnet-4-20250514-v1:0', at)
          ?.matched_by,
      ).toBe('alias');
      // eu.… haiku 3.5 has its own (different) figures in this file
      expect(card(full, 'bedrock', 'eu.anthropic.claude-3-5-haiku-20241022-v1:0').prices).toEqual({
        input_tokens: '0.25',
        output_tokens: '1.25',
      });
      expect(
        catalog.match('bedrock', 'us.anthropic.claude-3-5-haiku-20241022-v1:0', at)?.card.prices
          .input_tokens,
      ).toBe('0.8');
    });

    it('should skip per-image, per-pixel and commitment entries with a reason', () => {
      const reasons = new Set(full.skipped.map((entry) => entry.reason));
      expect(reasons).toContain('mode "image_generation" is not priced by text tokens');
      expect(skipReason(full, 'bedrock/us-east-1/1-month-commitment/anthropic.claude-v1')).toBe(
        'no per-token input or output price',
      );
    });

    it('should make a catalog without conflicts', () => {
      expect(() => createPricingCatalog(full.cards)).not.toThrow();
    });
  });

  describe('on small documents', () => {
    const options = { source: mirrorSource, effective_from: '2026-07-24T00:00:00Z' };

    it('should convert floats through their decimal string', () => {
      const result = importLiteLLM(
        {
          tiny: {
            litellm_provider: 'openai',
            mode: 'chat',
            input_cost_per_token: 1.25e-7,
            output_cost_per_token: 3e-9,
          },
          odd: { litellm_provider: 'openai', input_cost_per_token: 0.1 + 0.2 },
        },
        options,
      );
      expect(result.cards.map((entry) => [entry.model, entry.prices])).toEqual([
        // the file's own figure, kept exactly: never rounded behind the author's back
        ['odd', { input_tokens: '300000.00000000004' }],
        ['tiny', { input_tokens: '0.125', output_tokens: '0.003' }],
      ]);
    });

    it('should skip sample_spec and report malformed entries', () => {
      const result = importLiteLLM(
        {
          sample_spec: {
            input_cost_per_token: 0,
            litellm_provider: 'one of https://docs.litellm.ai',
          },
          negative: { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: -1e-6 },
          text: { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: '1e-6' },
          orphan: { mode: 'chat', input_cost_per_token: 1e-6 },
          scalar: 42,
        },
        options,
      );
      expect(result.cards).toEqual([]);
      expect(result.skipped).toEqual([
        { key: 'sample_spec', reason: 'sample_spec documents the format; it is not a model' },
      ]);
      expect(result.errors.map((entry) => entry.key)).toEqual([
        'negative',
        'text',
        'orphan',
        'scalar',
      ]);
      expect(result.errors[0]!.message).toMatch(
        /input_cost_per_token must be a non-negative number/,
      );
    });

    it('should merge keys that name the same model at equal prices and skip conflicting ones', () => {
      const result = importLiteLLM(
        {
          'gemini-x': {
            litellm_provider: 'vertex_ai-language-models',
            mode: 'chat',
            input_cost_per_token: 1e-6,
          },
          'gemini/gemini-x': {
            litellm_provider: 'gemini',
            mode: 'chat',
            input_cost_per_token: 1e-6,
          },
          'openrouter-ish/gemini-x': {
            litellm_provider: 'gemini',
            mode: 'chat',
            input_cost_per_token: 1e-6,
          },
          'vertex_ai/gemini-x': {
            litellm_provider: 'vertex_ai',
            mode: 'chat',
            input_cost_per_token: 2e-6,
          },
        },
        options,
      );
      expect(result.cards.map((entry) => [entry.provider, entry.model, entry.aliases])).toEqual([
        ['google', 'gemini-x', ['gemini/gemini-x']],
        ['google', 'openrouter-ish/gemini-x', []],
      ]);
      expect(skipReason(result, 'vertex_ai/gemini-x')).toMatch(/prices differ from gemini-x/);
    });

    it('should reject a document that is not an object', () => {
      expect(importLiteLLM([], options).errors).toEqual([
        { key: '', message: 'document must be a JSON object' },
      ]);
    });
  });
});
