import { createDefaultPricingCatalog, Money, type PriceCard } from '@purser/pricing';
import fc from 'fast-check';
import { badInputMessage } from '../errors-testing';
import {
  cacheWritePremium,
  checkWasteArgs,
  cheaperInChain,
  contextBloatRecoverable,
  MAX_WASTE_LIMIT,
  MAX_WASTE_RANGE_DAYS,
  priceTokens,
  rankFindings,
  ratio,
  WASTE_CATEGORIES,
  type WasteFindingValue,
} from './waste-rules';

const catalog = createDefaultPricingCatalog();
const AT = new Date('2026-11-20T00:00:00Z');
const card = (provider: string, model: string): PriceCard => {
  const found = catalog.match(provider, model, AT);
  if (found === undefined) throw new Error(`no card for ${provider}/${model}`);
  return found.card;
};
const DAY = 86_400_000;
const FROM = new Date('2026-11-01T00:00:00Z');

describe('checkWasteArgs', () => {
  it('should accept every range up to the limit and refuse any longer one, naming to', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 * DAY }), (span) => {
        const to = new Date(FROM.getTime() + span);
        if (span <= MAX_WASTE_RANGE_DAYS * DAY) {
          expect(() => checkWasteArgs(FROM, to, 10, 'USD')).not.toThrow();
        } else {
          expect(badInputMessage(() => checkWasteArgs(FROM, to, 10, 'USD'))).toMatch(
            new RegExp(`^to: a waste report covers at most ${MAX_WASTE_RANGE_DAYS} days`),
          );
        }
      }),
    );
  });

  it('should refuse a to not after from, and dates that are not dates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * DAY }), (back) => {
        const to = new Date(FROM.getTime() - back);
        expect(badInputMessage(() => checkWasteArgs(FROM, to, 10, 'USD'))).toBe(
          'to: must be later than from',
        );
      }),
    );
    expect(badInputMessage(() => checkWasteArgs(new Date(NaN), FROM, 10, 'USD'))).toMatch(/^from:/);
    expect(badInputMessage(() => checkWasteArgs(FROM, new Date(NaN), 10, 'USD'))).toMatch(/^to:/);
  });

  it('should refuse a limit outside 1..max and a currency that is not an ISO code', () => {
    const to = new Date(FROM.getTime() + DAY);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: 0 }),
          fc.integer({ min: MAX_WASTE_LIMIT + 1 }),
          fc.double().filter((value) => !Number.isInteger(value)),
        ),
        (limit) => {
          expect(badInputMessage(() => checkWasteArgs(FROM, to, limit, 'USD'))).toMatch(/^limit: /);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter((value) => !/^[A-Z]{3}$/.test(value)),
        (currency) => {
          expect(badInputMessage(() => checkWasteArgs(FROM, to, 1, currency))).toMatch(
            /^currency: /,
          );
        },
      ),
    );
  });
});

const finding = (recoverable: string, spend: string, index: number): WasteFindingValue => ({
  category: WASTE_CATEGORIES[index % WASTE_CATEGORIES.length]!,
  scope: { feature: `f${index}` },
  spend,
  recoverable,
  currency: 'USD',
  estimate: '',
  evidence: {},
  fix: '',
});

describe('rankFindings', () => {
  it('should put most recoverable first, then most spend, whatever the input order', () => {
    const amount = fc
      .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 6 }))
      .map(([units, scale]) => new Money(units).dividedBy(10 ** scale).toFixed());
    fc.assert(
      fc.property(
        fc.array(fc.tuple(amount, amount), { maxLength: 30 }),
        fc.integer(),
        (pairs, seed) => {
          const findings = pairs.map(([recoverable, spend], index) =>
            finding(recoverable, spend, index),
          );
          const ranked = rankFindings(findings);
          for (let index = 1; index < ranked.length; index += 1) {
            const before = ranked[index - 1]!;
            const after = ranked[index]!;
            const byRecoverable = new Money(before.recoverable).comparedTo(after.recoverable);
            expect(byRecoverable).toBeGreaterThanOrEqual(0);
            if (byRecoverable === 0)
              expect(new Money(before.spend).comparedTo(after.spend)).toBeGreaterThanOrEqual(0);
          }
          // Deterministic: a shuffled input ranks the same.
          const shuffled = [...findings].sort(
            (left, right) => ((seed ^ left.spend.length) % 3) - ((seed ^ right.spend.length) % 3),
          );
          expect(rankFindings(shuffled)).toEqual(ranked);
        },
      ),
    );
  });

  it('should compare amounts as decimals, not as text', () => {
    const ranked = rankFindings([finding('9.5', '1', 0), finding('10', '1', 1)]);
    expect(ranked.map((item) => item.recoverable)).toEqual(['10', '9.5']);
  });
});

describe('pricing estimates', () => {
  it('should price summed tokens at the card base rates, exactly', () => {
    // gpt-4o-mini: 0.15 input, 0.6 output per 1M tokens.
    const mini = card('openai', 'gpt-4o-mini');
    expect(priceTokens(mini, { input_tokens: '20000', output_tokens: 200 })!.toFixed()).toBe(
      '0.00312',
    );
    // Batch prices: 0.075 and 0.3.
    expect(priceTokens(mini, { input_tokens: 20000, output_tokens: 200 }, true)!.toFixed()).toBe(
      '0.00156',
    );
    // A prompt sum over 200k tokens is not a long-context call: base rates still apply.
    const sonnet = card('anthropic', 'claude-sonnet-4-5');
    expect(priceTokens(sonnet, { input_tokens: 1_000_000 })!.toFixed()).toBe('3');
  });

  it('should answer undefined when the card leaves a non-zero key unpriced', () => {
    // gpt-4o-mini prices no cache writes.
    const mini = card('openai', 'gpt-4o-mini');
    expect(priceTokens(mini, { cache_write_tokens: 10 })).toBeUndefined();
    expect(priceTokens(mini, { cache_write_tokens: 0, input_tokens: 1 })!.toFixed()).toBe(
      '0.00000015',
    );
  });

  it('should find the next model of the first chain that lists the model', () => {
    const chains = [
      ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano'],
      ['gpt-4o', 'gpt-4o-mini'],
    ];
    expect(cheaperInChain(chains, 'GPT-4o')).toEqual({ cheaper: 'gpt-4o-mini', chain: chains[1] });
    expect(cheaperInChain(chains, 'gpt-4.1-mini')?.cheaper).toBe('gpt-4.1-nano');
    expect(cheaperInChain(chains, 'gpt-4o-mini')).toBeUndefined();
    expect(cheaperInChain(chains, 'o3')).toBeUndefined();
  });

  it('should estimate context bloat as (calls − 1) × smallest input × (input − cache-read rate)', () => {
    // claude-sonnet-4-5: 3 input, 0.3 cache read: 19 × 10,000 × 2.7 / 1M.
    const sonnet = card('anthropic', 'claude-sonnet-4-5');
    expect(contextBloatRecoverable(sonnet, 20, '10000')!.toFixed()).toBe('0.513');
    expect(contextBloatRecoverable(sonnet, 1, 10000)!.toFixed()).toBe('0');
    const noCache = { ...sonnet, prices: { input_tokens: '3', output_tokens: '15' } };
    expect(contextBloatRecoverable(noCache, 20, 10000)).toBeUndefined();
  });

  it('should estimate the cache-write premium per TTL', () => {
    // claude-haiku-4-5: 1 input, 1.25 5-minute write, 2 1-hour write.
    const haiku = card('anthropic', 'claude-haiku-4-5');
    expect(cacheWritePremium(haiku, '5000', '0')!.toFixed()).toBe('0.00125');
    expect(cacheWritePremium(haiku, 5000, 1000)!.toFixed()).toBe('0.00225');
    expect(cacheWritePremium(card('openai', 'gpt-4o-mini'), 10, 0)).toBeUndefined();
  });

  it('should give ratios to 4 decimals, null on a zero whole', () => {
    expect(ratio(1, 3)).toBe('0.3333');
    expect(ratio('5000', '15000')).toBe('0.3333');
    expect(ratio(2, 0)).toBeNull();
  });
});
