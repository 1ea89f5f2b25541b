import Decimal from 'decimal.js';

/**
 * The Decimal constructor used for all money in this package. A private clone, so the
 * precision we need never depends on (or changes) the global decimal.js configuration that
 * other code in the process may set. 40 significant digits hold a per-token price of 1e-12
 * times a quantity of 1e12 tokens without rounding.
 */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });

/** An instance of {@link Money}. */
export type MoneyValue = InstanceType<typeof Money>;

/** Tokens per price quote: prices are published per 1M tokens. */
export const TOKENS_PER_QUOTE = 1_000_000;

/**
 * Formats a decimal as a plain string: no exponent, no trailing zeros (`"0.0000025"`,
 * `"12"`). Every amount and price this package returns goes through here, so equal values
 * always have equal strings.
 */
export function formatDecimal(value: Decimal.Value): string {
  // A Money instance is read as is: copying it (as the constructor does) changes nothing.
  const decimal = value instanceof Money ? value : new Money(value);
  // toFixed() without arguments never uses exponent notation, and a Decimal keeps no
  // trailing zeros; the zero check folds `-0` into `0`.
  return decimal.isZero() ? '0' : decimal.toFixed();
}
