import { Money, type MoneyValue } from '@purser/pricing';

/**
 * The pieces every statement file shares: RFC 4180 fields, ISO 4217 minor units and the
 * largest-remainder rounding that keeps a rounded column summing to its rounded total.
 */

/** RFC 4180 line break: CRLF between records, also after the last one. */
export const CSV_LINE_BREAK = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;
/**
 * A field a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR at the start):
 * CSV injection. A leading apostrophe makes it text; amounts never pass through here.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field, quoted as RFC 4180 asks: in double quotes when it holds a comma, a quote or a
 * line break, quotes doubled. `null`/`undefined` is the empty field. Text fields that start
 * like a spreadsheet formula get a leading `'` (OWASP CSV injection); pass `raw` for
 * amounts, which may start with `-`.
 */
export function csvField(value: string | null | undefined, raw = false): string {
  if (value === null || value === undefined) return '';
  const text = !raw && FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: its fields joined by commas and a CRLF. `raw` lists the indexes of amounts. */
export function csvRecord(
  fields: readonly (string | null | undefined)[],
  raw: ReadonlySet<number> = new Set(),
): string {
  return fields.map((field, index) => csvField(field, raw.has(index))).join(',') + CSV_LINE_BREAK;
}

/**
 * ISO 4217 minor units (digits after the decimal point) of the currencies that do not use
 * 2; every other three-letter code uses 2. From the ISO 4217 list (table A.1) as published
 * by SIX on behalf of ISO; funds codes and precious metals (`XAU`…, no minor unit) count 0.
 */
const MINOR_UNIT_EXCEPTIONS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  XAG: 0,
  XAU: 0,
  XPD: 0,
  XPT: 0,
  XDR: 0,
  XSU: 0,
  XUA: 0,
  XBA: 0,
  XBB: 0,
  XBC: 0,
  XBD: 0,
  XTS: 0,
  XXX: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Digits after the decimal point of `currency` (ISO 4217): USD 2, JPY 0, KWD 3, CLF 4. */
export function minorUnitsOf(currency: string): number {
  if (!CURRENCY_CODE.test(currency)) {
    throw new RangeError(`currency must be a three-letter ISO 4217 code (got "${currency}")`);
  }
  return MINOR_UNIT_EXCEPTIONS[currency] ?? 2;
}

/**
 * Rounds `amounts` to `scale` decimals so that the parts sum exactly to the sum of the
 * amounts rounded half away from zero (what an accountant rounds a total with): the
 * largest-remainder method. Each amount is first rounded down (toward −∞); the units still
 * missing go, one each, to the amounts with the largest remainders; among equal remainders
 * the earlier amount gets its unit first, so the answer depends only on the input order.
 * An amount that is already exact at `scale` never moves. Answers the rounded amounts (in
 * the input order) and the rounded total.
 */
export function roundLargestRemainder(
  amounts: readonly MoneyValue[],
  scale: number,
): { parts: MoneyValue[]; total: MoneyValue } {
  const exactTotal = amounts.reduce((sum, amount) => sum.plus(amount), new Money(0));
  const total = exactTotal.toDecimalPlaces(scale, Money.ROUND_HALF_UP);
  const floors = amounts.map((amount) => amount.toDecimalPlaces(scale, Money.ROUND_FLOOR));
  const floorSum = floors.reduce((sum, floor) => sum.plus(floor), new Money(0));
  const unit = new Money(1).dividedBy(new Money(10).pow(scale));
  const order = amounts
    .map((amount, index) => ({ index, remainder: amount.minus(floors[index]) }))
    .filter((entry) => !entry.remainder.isZero())
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  const parts = [...floors];
  // Σ floors ≤ Σ amounts < Σ floors + n units, so the missing units are a whole number in
  // [0, n] and never more than the amounts with a remainder (`order`).
  let sum = floorSum;
  for (const { index } of order) {
    if (!sum.lessThan(total)) break;
    parts[index] = parts[index].plus(unit);
    sum = sum.plus(unit);
  }
  return { parts, total };
}

/** An amount written with exactly `scale` decimals (`12.30`, `-0.05`, `1200` at 0). */
export function fixedAmount(value: MoneyValue, scale: number): string {
  const text = value.toFixed(scale);
  // decimal.js writes a negative zero as "-0.00": a statement never shows it.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** An amount at full precision: no exponent, no trailing zeros, never `-0`. */
export function exactAmount(value: MoneyValue): string {
  return value.isZero() ? '0' : value.toFixed();
}
