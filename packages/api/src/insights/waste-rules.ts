import {
  BILLED_TOKEN_KEYS,
  type BilledTokenKey,
  calculateCost,
  formatDecimal,
  Money,
  type MoneyValue,
  type PriceCard,
} from '@purser/pricing';
import { badInput } from '../errors';

/** The waste categories, as stable codes (ARCHITECTURE.md, "Insights and console"). */
export const WASTE_CATEGORIES = [
  'MODEL_MISMATCH',
  'CONTEXT_BLOAT',
  'RETRY_WASTE',
  'CACHE_MISS',
  'UNGOVERNED_KEY',
] as const;
export type WasteCategory = (typeof WASTE_CATEGORIES)[number];

/**
 * The thresholds of the definitions in docs/insights.md ("Waste"). Fixed: a finding must mean
 * the same thing on every instance.
 */
export const WASTE_THRESHOLDS = {
  /** MODEL_MISMATCH, CONTEXT_BLOAT: calls a group needs before its shape says anything. */
  minCalls: 20,
  /** MODEL_MISMATCH: p90 of the output tokens at most this ("short outputs"). */
  shortOutputTokens: 64,
  /** MODEL_MISMATCH: output tokens at most this share of the prompt ("classification-like"). */
  maxOutputShare: '0.1',
  /** MODEL_MISMATCH: only calls whose prompt is at most this (no long-context tier, fits a small model). */
  maxPromptTokens: 128_000,
  /** CONTEXT_BLOAT: average input tokens at least this. */
  bloatInputTokens: 4_000,
  /** CONTEXT_BLOAT: standard deviation of the input at most this share of its average. */
  bloatVariation: '0.1',
  /** UNGOVERNED_KEY: the suggested per-run cap is this percentile of the agent's runs' cost. */
  runCapPercentile: 0.9,
  /** Groups one category's query answers at most (its biggest by spend). */
  groupsPerCategory: 1_000,
} as const;

/** Longest range a waste report covers: a quarter, like the other event-level reports. */
export const MAX_WASTE_RANGE_DAYS = 93;
/** Findings answered when `limit` is not given, and the most a caller may ask. */
export const DEFAULT_WASTE_LIMIT = 100;
export const MAX_WASTE_LIMIT = 500;

const DAY_MS = 86_400_000;

/** Checks the arguments of `wasteReport`; every refusal names the argument at fault. */
export function checkWasteArgs(from: Date, to: Date, limit: number, currency: string): void {
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw badInput('from: must be a valid date-time');
  if (!(to instanceof Date) || Number.isNaN(to.getTime()))
    throw badInput('to: must be a valid date-time');
  if (!(to.getTime() > from.getTime())) throw badInput('to: must be later than from');
  const span = to.getTime() - from.getTime();
  if (span > MAX_WASTE_RANGE_DAYS * DAY_MS) {
    throw badInput(
      `to: a waste report covers at most ${MAX_WASTE_RANGE_DAYS} days (asked ${Math.ceil(span / DAY_MS)}); ask for shorter ranges`,
    );
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_WASTE_LIMIT) {
    throw badInput(`limit: must be an integer from 1 to ${MAX_WASTE_LIMIT} (got ${limit})`);
  }
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw badInput(
      `currency: must be a three-letter ISO 4217 code such as "USD" (got ${JSON.stringify(currency.slice(0, 16))})`,
    );
  }
}

/** One finding, as the report answers it. */
export interface WasteFindingValue {
  category: WasteCategory;
  scope: Record<string, string>;
  /** Decimal strings in `currency`. */
  spend: string;
  recoverable: string;
  currency: string;
  /** How `recoverable` was estimated, in words. */
  estimate: string;
  evidence: Record<string, unknown>;
  fix: string;
}

/**
 * Most dollars first: recoverable, then spend (both exact decimals), then category and scope
 * so equal findings always come in the same order.
 */
export function rankFindings(findings: readonly WasteFindingValue[]): WasteFindingValue[] {
  return [...findings].sort(
    (left, right) =>
      new Money(right.recoverable).comparedTo(left.recoverable) ||
      new Money(right.spend).comparedTo(left.spend) ||
      WASTE_CATEGORIES.indexOf(left.category) - WASTE_CATEGORIES.indexOf(right.category) ||
      compareText(JSON.stringify(left.scope), JSON.stringify(right.scope)),
  );
}

function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Token sums of a group of calls, as decimal strings or numbers. */
export type TokenSums = Partial<Record<BilledTokenKey, string | number>>;

/**
 * The price of ONE token of each billed key on `card` (base rates: the prompts priced here
 * are under every long-context tier), through the catalog's own cost math.
 */
export function unitPrices(
  card: PriceCard,
  batch = false,
): Partial<Record<BilledTokenKey, MoneyValue>> {
  const prices: Partial<Record<BilledTokenKey, MoneyValue>> = {};
  for (const key of BILLED_TOKEN_KEYS) {
    const line = calculateCost({ card, usage: { [key]: 1 }, batch }).breakdown[0];
    if (line !== undefined) prices[key] = new Money(line.unit_price);
  }
  return prices;
}

/**
 * `tokens` priced on `card` at its base rates; `undefined` when the card leaves a non-zero
 * key unpriced (the estimate would then be too low to trust).
 */
export function priceTokens(
  card: PriceCard,
  tokens: TokenSums,
  batch = false,
): MoneyValue | undefined {
  const prices = unitPrices(card, batch);
  let total = new Money(0);
  for (const key of BILLED_TOKEN_KEYS) {
    const quantity = new Money(tokens[key] ?? 0);
    if (quantity.isZero()) continue;
    const price = prices[key];
    if (price === undefined) return undefined;
    total = total.plus(price.times(quantity));
  }
  return total;
}

/** The model after `model` in the first downgrade chain that lists it (case-insensitive). */
export function cheaperInChain(
  chains: readonly (readonly string[])[],
  model: string,
): { cheaper: string; chain: readonly string[] } | undefined {
  const wanted = model.toLowerCase();
  for (const chain of chains) {
    const index = chain.findIndex((name) => name.toLowerCase() === wanted);
    if (index >= 0 && index < chain.length - 1) return { cheaper: chain[index + 1]!, chain };
  }
  return undefined;
}

/**
 * CONTEXT_BLOAT's estimate: every call after the first could have read the repeated part of
 * its input (the group's smallest input, which every call carries) from the cache:
 * `(calls − 1) × min input × (input rate − cache-read rate)`. Undefined when the card has no
 * cache-read rate below its input rate (the provider does not cache this model).
 */
export function contextBloatRecoverable(
  card: PriceCard,
  calls: number,
  minInputTokens: string | number,
): MoneyValue | undefined {
  const prices = unitPrices(card);
  const input = prices.input_tokens;
  const cached = prices.cache_read_tokens;
  if (input === undefined || cached === undefined || !cached.lessThan(input)) return undefined;
  return input
    .minus(cached)
    .times(minInputTokens)
    .times(Math.max(calls - 1, 0));
}

/**
 * CACHE_MISS's estimate: the premium paid to write tokens nobody read back, i.e. what those
 * writes cost above the same tokens sent as plain input. Undefined without the rates.
 */
export function cacheWritePremium(
  card: PriceCard,
  unread5m: string | number,
  unread1h: string | number,
): MoneyValue | undefined {
  const prices = unitPrices(card);
  const input = prices.input_tokens;
  if (input === undefined) return undefined;
  let premium = new Money(0);
  for (const [key, tokens] of [
    ['cache_write_tokens', unread5m],
    ['cache_write_1h_tokens', unread1h],
  ] as const) {
    if (new Money(tokens).isZero()) continue;
    const rate = prices[key];
    if (rate === undefined) return undefined;
    premium = premium.plus(Money.max(rate.minus(input), 0).times(tokens));
  }
  return premium;
}

/** A decimal string without trailing zeros (never exponent notation). */
export function decimalText(value: MoneyValue | string | number): string {
  return formatDecimal(new Money(value));
}

/** `part ÷ whole` to 4 decimals as a string; null when whole is zero. */
export function ratio(part: string | number, whole: string | number): string | null {
  const divisor = new Money(whole);
  if (divisor.isZero()) return null;
  return formatDecimal(
    new Money(part).dividedBy(divisor).toDecimalPlaces(4, Money.ROUND_HALF_EVEN),
  );
}
