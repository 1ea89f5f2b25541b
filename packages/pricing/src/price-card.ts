import { z } from 'zod';
import { AMOUNT_BOUNDS, decimalPattern, decimalRule } from './decimal-string';
import { BILLED_TOKEN_KEYS } from './usage';

/**
 * A non-negative decimal number written as a plain string: `"2.5"`, `"0.075"`, `"0"`. No sign,
 * no exponent, no thousands separators, at most 12 integer and 20 fractional digits
 * ({@link AMOUNT_BOUNDS}) — so a price can never be read back as something else than what
 * was written.
 */
export const DECIMAL_STRING_PATTERN = decimalPattern(AMOUNT_BOUNDS);

/** A price or amount as a plain non-negative decimal string (see {@link DECIMAL_STRING_PATTERN}). */
export const decimalStringSchema = z.string().regex(DECIMAL_STRING_PATTERN, decimalRule());

/** An RFC 3339 instant with an explicit offset (`2026-07-24T00:00:00Z`). */
export const instantSchema = z.iso.datetime({ offset: true });

/**
 * Prices per 1M tokens for each billed token key. A key left out is not priced by this card:
 * usage under it is reported as unpriced, never as free. `"0"` is an explicit free price.
 */
export const tokenPricesSchema = z
  .object(
    Object.fromEntries(BILLED_TOKEN_KEYS.map((key) => [key, decimalStringSchema.optional()])) as {
      [K in (typeof BILLED_TOKEN_KEYS)[number]]: z.ZodOptional<typeof decimalStringSchema>;
    },
  )
  .strict();

/** Prices per 1M tokens, keyed by billed token key. */
export type TokenPrices = z.infer<typeof tokenPricesSchema>;

/**
 * A long-context tier. When the prompt of a call (input + cache reads + cache writes) has
 * MORE than `above_prompt_tokens` tokens, the tier's price applies to every token of the
 * call, for each key the tier lists; keys it leaves out keep the base price.
 */
export const priceTierSchema = z
  .object({
    above_prompt_tokens: z.number().int().nonnegative(),
    prices: tokenPricesSchema,
  })
  .strict();

/** See {@link priceTierSchema}. */
export type PriceTier = z.infer<typeof priceTierSchema>;

/** Where a card's figures come from. */
export const priceSourceSchema = z
  .object({
    name: z.string().min(1),
    url: z.url().optional(),
    /** The day (`2026-07-24`) or instant the figures were read from the source. */
    retrieved_at: z.union([z.iso.date(), instantSchema]),
  })
  .strict();

/** See {@link priceSourceSchema}. */
export type PriceSource = z.infer<typeof priceSourceSchema>;

/**
 * A price card: the list price of one model at one provider for one effective period.
 * A new price is a new card (a new version) with a later `effective_from`; the old card gets
 * `effective_to` set to that instant, so past usage keeps the price it was incurred at.
 */
export const priceCardSchema = z
  .object({
    /** Stable id, conventionally `<provider>/<model>@<effective date>`. */
    id: z.string().min(1),
    /** Canonical provider id (see `canonicalProvider`). */
    provider: z.string().min(1),
    /** Canonical model id, as the provider's own API names it. */
    model: z.string().min(1),
    /** Other names of the same model at the same provider and price (dated ids, routed names). */
    aliases: z.array(z.string().min(1)).default([]),
    /** A regular expression, anchored with `^…$`, for model-id families (cloud ids). */
    pattern: z
      .string()
      .refine((value) => value.startsWith('^') && value.endsWith('$'), 'must be anchored: ^…$')
      .refine((value) => {
        try {
          new RegExp(value);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    /** First instant (inclusive) at which this card applies. */
    effective_from: instantSchema,
    /** Instant (exclusive) from which this card no longer applies; absent: still current. */
    effective_to: instantSchema.optional(),
    /** ISO 4217 currency of every price on the card. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
      .default('USD'),
    /** Base prices per 1M tokens. */
    prices: tokenPricesSchema,
    /** Long-context tiers; the highest threshold the prompt exceeds wins. */
    tiers: z.array(priceTierSchema).default([]),
    /** Prices per 1M tokens for batch calls; keys left out fall back to `batch_discount`. */
    batch_prices: tokenPricesSchema.optional(),
    /**
     * Fraction taken off every base (or tier) price for batch calls when `batch_prices` does
     * not list the key: `"0.5"` is half price.
     */
    batch_discount: decimalStringSchema
      .refine((value) => Number(value) <= 1, 'must be at most 1')
      .optional(),
    /** Price per unit for `usage.units` (e.g. `web_search_requests`). */
    unit_prices: z.record(z.string().min(1), decimalStringSchema).default({}),
    /** Where the figures come from. */
    source: priceSourceSchema,
    /** Free-text caveats carried over from the source (promotions, ignored multipliers). */
    notes: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((card, context) => {
    if (
      card.effective_to !== undefined &&
      !(Date.parse(card.effective_to) > Date.parse(card.effective_from))
    ) {
      context.addIssue({
        code: 'custom',
        path: ['effective_to'],
        message: 'must be later than effective_from',
      });
    }
    const thresholds = card.tiers.map((tier) => tier.above_prompt_tokens);
    if (new Set(thresholds).size !== thresholds.length) {
      context.addIssue({ code: 'custom', path: ['tiers'], message: 'thresholds must be unique' });
    }
  });

/** A validated price card (defaults applied). */
export type PriceCard = z.infer<typeof priceCardSchema>;

/** A price card as written in a data file, before defaults are applied. */
export type PriceCardInput = z.input<typeof priceCardSchema>;

/** Validates one card and applies defaults; throws a `ZodError` naming the offending field. */
export function parsePriceCard(value: unknown): PriceCard {
  return priceCardSchema.parse(value);
}
