import type Decimal from 'decimal.js';
import type { PricingCatalog, PriceMatch } from './catalog';
import { formatDecimal, Money, TOKENS_PER_QUOTE } from './decimal';
import { PricingError } from './errors';
import { isPlainObject } from './plain-object';

import type { PriceCard, PriceTier } from './price-card';
import {
  BILLED_TOKEN_KEYS,
  type BilledTokenKey,
  promptTokens,
  TOKEN_KEYS,
  type Usage,
  usageSchema,
} from './usage';

/** One priced line of a cost: `amount = quantity × unit_price`, exactly. */
export interface CostLine {
  /** A billed token key (`input_tokens`, …) or a unit name from `usage.units`. */
  key: string;
  /** Tokens or units consumed. */
  quantity: number;
  /** Exact price of ONE token or unit, as a plain decimal string (`"0.0000025"`). */
  unit_price: string;
  /** `quantity × unit_price`, as a plain decimal string. */
  amount: string;
}

/** The cost of one call. */
export interface CostResult {
  /** Exact sum of `breakdown[].amount`. */
  total: string;
  /** ISO 4217 currency of every amount. */
  currency: string;
  /** Priced lines in vocabulary order (token keys, then units by name); zero quantities omitted. */
  breakdown: CostLine[];
  /** The card that priced the call; absent when none matched. */
  price_card_id?: string;
  /** The long-context tier applied, if any. */
  tier?: { above_prompt_tokens: number };
  /** Whether batch prices were requested. */
  batch: boolean;
  /**
   * Keys with a non-zero quantity that the card does not price. Their cost is NOT in
   * `total`: the call is under-priced until a price appears, and must be reported so.
   */
  unpriced_keys: string[];
  /** Non-fatal remarks, e.g. a batch call priced at standard rates for lack of batch prices. */
  warnings: string[];
}

/** Input of {@link calculateCost}. */
export interface CalculateCostOptions {
  /** The card to price with (normally from `PricingCatalog.match`). */
  card: PriceCard;
  /** Canonical usage of the call. */
  usage: Usage;
  /** A batch-API call: batch prices (or the batch discount) apply. */
  batch?: boolean;
}

/**
 * Picks the tier a call falls into: the one with the highest `above_prompt_tokens` that the
 * prompt (input + cache reads + cache writes) strictly exceeds. A prompt of exactly 200,000
 * tokens is not "above 200k".
 */
export function selectTier(tiers: readonly PriceTier[], prompt: number): PriceTier | undefined {
  let selected: PriceTier | undefined;
  for (const tier of tiers) {
    if (prompt > tier.above_prompt_tokens) {
      if (selected === undefined || tier.above_prompt_tokens > selected.above_prompt_tokens) {
        selected = tier;
      }
    }
  }
  return selected;
}

/**
 * Price per 1M tokens of `key` for this call, or `undefined` when the card does not price it.
 * Batch calls take `batch_prices[key]`; failing that the standard price (tier, else base)
 * less `batch_discount`; failing that the standard price, with a warning.
 */
function pricePerMillion(
  card: PriceCard,
  key: BilledTokenKey,
  tier: PriceTier | undefined,
  batch: boolean,
  warnings: Set<string>,
): Decimal | undefined {
  if (batch) {
    const batchPrice = card.batch_prices?.[key];
    if (batchPrice !== undefined) return new Money(batchPrice);
  }
  const standard: string | undefined = tier?.prices[key] ?? card.prices[key];
  if (standard === undefined) return undefined;
  if (!batch) return new Money(standard);
  if (card.batch_discount !== undefined) {
    return new Money(standard).times(new Money(1).minus(card.batch_discount));
  }
  warnings.add(`${card.id} has no batch price for ${key}; standard price used`);
  return new Money(standard);
}

const USAGE_KEYS: ReadonlySet<string> = new Set([...TOKEN_KEYS, 'units']);
const MAX_QUANTITY = 1e12;

/**
 * True when `usage` certainly passes {@link usageSchema} as it is; anything unusual answers
 * false and goes through the schema, which then has the last word (and the error message).
 * A fast twin of the schema (docs/0008-fast-twins.md), exported for its differential test.
 */
export function isCanonicalUsage(usage: unknown): usage is Usage {
  if (!isPlainObject(usage)) return false;
  for (const key of Object.keys(usage)) {
    if (!USAGE_KEYS.has(key)) return false;
    const value = usage[key];
    if (value === undefined) continue;
    if (key === 'units') {
      if (!isPlainObject(value)) return false;
      for (const name of Object.keys(value)) {
        const quantity = value[name];
        if (
          name === '' ||
          name === '__proto__' ||
          typeof quantity !== 'number' ||
          !Number.isFinite(quantity) ||
          !(quantity >= 0 && quantity <= MAX_QUANTITY)
        ) {
          return false;
        }
      }
    } else if (
      typeof value !== 'number' ||
      !Number.isSafeInteger(value) ||
      !(value >= 0 && value <= MAX_QUANTITY)
    ) {
      return false;
    }
  }
  return true;
}

function parseUsage(usage: Usage): Usage {
  // The hot path (ingest prices already validated usage): no schema run, no copy.
  if (isCanonicalUsage(usage)) return usage;
  const result = usageSchema.safeParse(usage);
  if (!result.success) {
    throw new PricingError({
      code: 'INVALID_USAGE',
      message: `usage is invalid: ${result.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
      cause: result.error,
    });
  }
  return result.data;
}

/** A price ready to multiply: per ONE token or unit, with its formatted text. */
interface UnitPrice {
  value: Decimal;
  text: string;
}

/** Per-token prices of one (card, tier, batch) combination; `undefined`: not priced. */
interface TokenPriceSet {
  prices: Partial<Record<BilledTokenKey, UnitPrice>>;
  warnings: Partial<Record<BilledTokenKey, string>>;
}

interface CardPrices {
  /** Keyed by tier threshold (-1: no tier), then batch or not. */
  tokens: Map<number, [standard?: TokenPriceSet, batch?: TokenPriceSet]>;
  units: Map<string, UnitPrice>;
}

// Cards are immutable once validated, so the Decimal work of turning a card's quotes into
// per-token prices is done once per card rather than once per call.
const cardPrices = new WeakMap<PriceCard, CardPrices>();

function unitPrice(value: Decimal): UnitPrice {
  return { value, text: formatDecimal(value) };
}

function tokenPriceSet(
  card: PriceCard,
  tier: PriceTier | undefined,
  batch: boolean,
): TokenPriceSet {
  let cached = cardPrices.get(card);
  if (cached === undefined) {
    cached = { tokens: new Map(), units: new Map() };
    cardPrices.set(card, cached);
  }
  const threshold = tier === undefined ? -1 : tier.above_prompt_tokens;
  let byBatch = cached.tokens.get(threshold);
  if (byBatch === undefined) {
    byBatch = [];
    cached.tokens.set(threshold, byBatch);
  }
  const slot = batch ? 1 : 0;
  let set = byBatch[slot];
  if (set === undefined) {
    set = { prices: {}, warnings: {} };
    for (const key of BILLED_TOKEN_KEYS) {
      const warnings = new Set<string>();
      const perMillion = pricePerMillion(card, key, tier, batch, warnings);
      if (perMillion !== undefined) {
        set.prices[key] = unitPrice(perMillion.dividedBy(TOKENS_PER_QUOTE));
      }
      const [warning] = warnings;
      if (warning !== undefined) set.warnings[key] = warning;
    }
    byBatch[slot] = set;
  }
  return set;
}

function unitPriceOf(card: PriceCard, name: string): UnitPrice | undefined {
  // Own keys only: a unit named `constructor` or `toString` is not priced by Object.prototype.
  const price = Object.hasOwn(card.unit_prices, name) ? card.unit_prices[name] : undefined;
  if (price === undefined) return undefined;
  let cached = cardPrices.get(card);
  if (cached === undefined) {
    cached = { tokens: new Map(), units: new Map() };
    cardPrices.set(card, cached);
  }
  let found = cached.units.get(name);
  if (found === undefined) {
    found = unitPrice(new Money(price));
    cached.units.set(name, found);
  }
  return found;
}

/**
 * Prices one call exactly: Σ quantity × price over the billed keys and units, in decimal
 * arithmetic from card to total. `reasoning_tokens` are part of `output_tokens` and never
 * billed on top. A non-zero quantity the card does not price lands in `unpriced_keys`.
 * Throws a `PricingError` (`INVALID_USAGE`) on usage outside the vocabulary.
 */
export function calculateCost({ card, usage, batch = false }: CalculateCostOptions): CostResult {
  const parsed = parseUsage(usage);
  const tier = selectTier(card.tiers, promptTokens(parsed));
  // Per call the hot path allocates only what it returns: no warning set until a warning,
  // the first line's amount is the running total (adding it to zero changes nothing).
  let warnings: Set<string> | undefined;
  const breakdown: CostLine[] = [];
  const unpriced: string[] = [];
  let total: Decimal | undefined;

  const tokenPrices = tokenPriceSet(card, tier, batch);
  for (const key of BILLED_TOKEN_KEYS) {
    const quantity = parsed[key] ?? 0;
    if (quantity === 0) continue;
    const warning = tokenPrices.warnings[key];
    if (warning !== undefined) (warnings ??= new Set()).add(warning);
    const price = tokenPrices.prices[key];
    if (price === undefined) unpriced.push(key);
    else total = addLine(breakdown, total, key, quantity, price);
  }

  const units = parsed.units;
  if (units !== undefined) {
    for (const name of Object.keys(units).sort()) {
      const quantity = units[name]!;
      if (quantity === 0) continue;
      // Batch discounts are quoted for tokens; units keep their list price.
      const price = unitPriceOf(card, name);
      if (price === undefined) unpriced.push(name);
      else total = addLine(breakdown, total, name, quantity, price);
    }
  }

  const totalText = total === undefined ? '0' : formatDecimal(total);
  const warningList = warnings === undefined ? [] : [...warnings];
  // Two literals rather than a spread, with the keys in the same order either way.
  return tier === undefined
    ? {
        total: totalText,
        currency: card.currency,
        breakdown,
        price_card_id: card.id,
        batch,
        unpriced_keys: unpriced,
        warnings: warningList,
      }
    : {
        total: totalText,
        currency: card.currency,
        breakdown,
        price_card_id: card.id,
        tier: { above_prompt_tokens: tier.above_prompt_tokens },
        batch,
        unpriced_keys: unpriced,
        warnings: warningList,
      };
}

/** Appends `quantity × price` to the breakdown; answers the new running total. */
function addLine(
  breakdown: CostLine[],
  total: Decimal | undefined,
  key: string,
  quantity: number,
  price: UnitPrice,
): Decimal {
  const amount = price.value.times(quantity);
  breakdown.push({ key, quantity, unit_price: price.text, amount: formatDecimal(amount) });
  return total === undefined ? amount : total.plus(amount);
}

/** Input of {@link estimateCost}. */
export interface EstimateCostOptions {
  /** Provider as the caller spells it. */
  provider: string;
  /** Model as the provider returned it (routing prefixes and cloud ids allowed). */
  model: string;
  /** Canonical usage (actual, or the estimate made before a call). */
  usage: Usage;
  /** Instant the call happened (or will happen); picks the price version. */
  at: Date;
  /** A batch-API call. */
  batch?: boolean;
  /** Currency reported when no card matches. Default `USD`. */
  default_currency?: string;
}

/** A {@link CostResult} that also says whether a card was found. */
export interface CostEstimate extends CostResult {
  /** False when no card matched: `total` is `"0"` and every non-zero key is unpriced. */
  priced: boolean;
  /** How the card was found, when one was. */
  match?: Omit<PriceMatch, 'card'>;
}

/**
 * Matches the model in `catalog` and prices the usage. When no card matches, the result has
 * `priced: false`, a zero total and every non-zero key (token keys and units) in
 * `unpriced_keys`, so the call is flagged rather than silently free.
 */
export function estimateCost(catalog: PricingCatalog, options: EstimateCostOptions): CostEstimate {
  const found = catalog.match(options.provider, options.model, options.at);
  if (found === undefined) {
    const usage = parseUsage(options.usage);
    const unpriced = [
      ...BILLED_TOKEN_KEYS.filter((key) => (usage[key] ?? 0) > 0),
      ...Object.keys(usage.units ?? {})
        .sort()
        .filter((name) => usage.units![name]! > 0),
    ];
    return {
      total: '0',
      currency: options.default_currency ?? 'USD',
      breakdown: [],
      batch: options.batch ?? false,
      unpriced_keys: unpriced,
      warnings: [],
      priced: false,
    };
  }
  // Built field by field: object spread and rest copies cost more than the pricing itself.
  const result = calculateCost({ card: found.card, usage: options.usage, batch: options.batch });
  const match = { matched_by: found.matched_by, provider: found.provider, model: found.model };
  return Object.assign(result, { priced: true, match });
}
