/**
 * Exact arithmetic on plain decimal strings ("12.5", "-0.0425") as scaled integers, the fast
 * twin of {@link Money} on the decision path (`docs/0008-fast-twins.md`): every function
 * answers exactly what Money answers and writes it as {@link formatDecimal} does, and falls
 * back to Money for any other form (an exponent, a sign other than a leading minus, a part
 * longer than 18 digits) or a Money value. Money enters Rego as integer nano-units (1e-9).
 */
import { formatDecimal, Money, type MoneyValue } from './decimal';

/** Nano-units per currency unit. */
const NANOS = new Money(1_000_000_000);

const PLAIN = /^(\d+)(?:\.(\d+))?$/;

/**
 * Nano-units of a plain non-negative decimal string ("12.5", "0.000000001") by moving the
 * point nine digits, rounded up or down; null for any other form (the Decimal path).
 */
function plainNanos(amount: string, up: boolean): string | null {
  const match = PLAIN.exec(amount);
  if (!match) return null;
  const fraction = match[2] ?? '';
  const kept = fraction.slice(0, 9).padEnd(9, '0');
  let nanos = BigInt(match[1]! + kept);
  if (up && /[1-9]/.test(fraction.slice(9))) nanos += 1n;
  return nanos.toString();
}

/** An amount in nano-units, rounded up (estimates and spend never under-count). */
export function toNanosCeil(amount: string | MoneyValue): string {
  return (
    (typeof amount === 'string' ? plainNanos(amount, true) : null) ??
    new Money(amount).times(NANOS).ceil().toFixed(0)
  );
}

/** An amount in nano-units, rounded down (limits never over-state). */
export function toNanosFloor(amount: string | MoneyValue): string {
  return (
    (typeof amount === 'string' ? plainNanos(amount, false) : null) ??
    new Money(amount).times(NANOS).floor().toFixed(0)
  );
}

/** Longest integer or fraction part the fast path takes. */
const MAX_PART_DIGITS = 18;

/** A plain decimal string as an integer of 10^-scale. */
export interface ScaledAmount {
  units: bigint;
  scale: number;
}

/**
 * A plain decimal string ("-12.5") as an integer of 10^-scale, or null for any other form
 * (an exponent, a sign other than a leading minus, a part longer than 18 digits). The bound
 * keeps every sum of a few of them far within the 40 significant digits of {@link Money},
 * so the fast path answers exactly what Decimal does.
 */
export function scaledAmount(amount: string): ScaledAmount | null {
  const length = amount.length;
  const first = amount.charCodeAt(0) === 45 ? 1 : 0;
  let dot = -1;
  for (let index = first; index < length; index += 1) {
    const code = amount.charCodeAt(index);
    if (code === 46 && dot < 0) dot = index;
    else if (code < 48 || code > 57) return null;
  }
  const whole = (dot < 0 ? length : dot) - first;
  const scale = dot < 0 ? 0 : length - dot - 1;
  if (whole < 1 || whole > MAX_PART_DIGITS || scale > MAX_PART_DIGITS || dot === length - 1)
    return null;
  const digits = dot < 0 ? amount.slice(first) : amount.slice(first, dot) + amount.slice(dot + 1);
  const units = BigInt(digits);
  return { units: first ? -units : units, scale };
}

/** `units` × 10^-scale as {@link formatDecimal} writes it. */
export function formatScaled(units: bigint, scale: number): string {
  if (units === 0n) return '0';
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    let end = digits.length;
    while (end > digits.length - scale && digits.charCodeAt(end - 1) === 48) end -= 1;
    const whole = digits.slice(0, digits.length - scale);
    const fraction = digits.slice(digits.length - scale, end);
    digits = fraction ? `${whole}.${fraction}` : whole;
  }
  return negative ? `-${digits}` : digits;
}

/** Nano-units back to a plain decimal string, as {@link formatDecimal} writes it ("0.0425"). */
export function fromNanos(nanos: bigint): string {
  return formatScaled(nanos, 9);
}

const POWERS = Array.from(
  { length: MAX_PART_DIGITS + 1 },
  (_, exponent) => 10n ** BigInt(exponent),
);

/** The units of `amount` on `scale` (at least its own). */
export function rescale(amount: ScaledAmount, scale: number): bigint {
  return amount.scale === scale ? amount.units : amount.units * POWERS[scale - amount.scale]!;
}

/** Whether an amount is zero (a plain decimal string is read without Decimal). */
export function isZeroAmount(amount: string | MoneyValue): boolean {
  if (typeof amount === 'string' && scaledAmount(amount) !== null) return !/[1-9]/.test(amount);
  return new Money(amount).isZero();
}

/** The exact sum of two amounts, written as {@link formatDecimal} writes it. */
export function plus(left: string | MoneyValue, right: string | MoneyValue): string {
  const a = typeof left === 'string' ? scaledAmount(left) : null;
  const b = a && typeof right === 'string' ? scaledAmount(right) : null;
  if (a && b) {
    const scale = Math.max(a.scale, b.scale);
    return formatScaled(rescale(a, scale) + rescale(b, scale), scale);
  }
  return formatDecimal(new Money(left).plus(right));
}
