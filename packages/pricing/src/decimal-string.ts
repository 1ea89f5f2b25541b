/**
 * The one validator of decimal strings at Purser's boundaries: prices, reported costs and
 * budget limits are written as plain non-negative decimals (`"2.5"`, `"0.075"`, `"0"`) with
 * bounded parts, so a value can never be read back as something else than what was written,
 * and every rejection says the same thing in the same words, bounds included.
 */

/** How many digits a decimal string may have before and after its point. */
export interface DecimalBounds {
  /** Digits before the point (no leading zeros beyond a single `0`). */
  readonly integerDigits: number;
  /** Digits after the point. */
  readonly fractionDigits: number;
}

/** Prices and amounts: up to 999,999,999,999 with 20 decimals (a per-token price of 1e-20). */
export const AMOUNT_BOUNDS: DecimalBounds = { integerDigits: 12, fractionDigits: 20 };

/**
 * Limits that are enforced in nano-units (money enters Rego as integers of 1e-9): a tenth
 * decimal could not change any decision, so it is refused rather than silently dropped.
 */
export const NANO_AMOUNT_BOUNDS: DecimalBounds = { integerDigits: 12, fractionDigits: 9 };

/** The pattern of a decimal string within `bounds` (linear: no nested quantifiers). */
export function decimalPattern(bounds: DecimalBounds): RegExp {
  return new RegExp(
    `^(?:0|[1-9][0-9]{0,${bounds.integerDigits - 1}})(?:\\.[0-9]{1,${bounds.fractionDigits}})?$`,
  );
}

/** What a rejected decimal string is told, bounds included (one wording everywhere). */
export function decimalRule(bounds: DecimalBounds = AMOUNT_BOUNDS): string {
  return (
    `must be a non-negative plain decimal string such as "2.5" ` +
    `(no sign or exponent, at most ${bounds.integerDigits} digits before the point ` +
    `and ${bounds.fractionDigits} after it)`
  );
}

const patterns = new Map<DecimalBounds, RegExp>();

function patternOf(bounds: DecimalBounds): RegExp {
  let pattern = patterns.get(bounds);
  if (!pattern) patterns.set(bounds, (pattern = decimalPattern(bounds)));
  return pattern;
}

/** Whether `value` is a decimal string within `bounds`. */
export function isDecimalString(value: unknown, bounds: DecimalBounds = AMOUNT_BOUNDS): boolean {
  return typeof value === 'string' && patternOf(bounds).test(value);
}

/**
 * Null when `value` is a decimal string within `bounds`; otherwise the message naming the
 * field, the rule and (a bounded excerpt of) what was given.
 */
export function decimalProblem(
  field: string,
  value: unknown,
  bounds: DecimalBounds = AMOUNT_BOUNDS,
): string | null {
  if (isDecimalString(value, bounds)) return null;
  return `${field} ${decimalRule(bounds)} (got ${excerpt(value)})`;
}

/** At most 64 characters of a rejected value, so an error message stays small. */
function excerpt(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
