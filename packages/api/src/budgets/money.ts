import { Money, type MoneyValue } from '@purser/pricing';

/** Nano-units per currency unit: money enters Rego as integers of 1e-9. */
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

export function decimal(value: string | number | MoneyValue | null | undefined): MoneyValue {
  return new Money(value ?? 0);
}

export function plain(value: MoneyValue): string {
  return value.isZero() ? '0' : value.toFixed();
}

/**
 * A plain decimal string ("-12.5") as an integer of 10^-scale, or null for any other form.
 * Both parts are bounded so that every sum of a few of them stays far within the 40
 * significant digits of {@link Money}: the fast path then answers exactly what Decimal does.
 */
const SCALED = /^(-?)(\d{1,18})(?:\.(\d{1,18}))?$/;

function scaled(amount: string): { units: bigint; scale: number } | null {
  const match = SCALED.exec(amount);
  if (!match) return null;
  const fraction = match[3] ?? '';
  const units = BigInt(match[2]! + fraction);
  return { units: match[1] ? -units : units, scale: fraction.length };
}

/** `units` × 10^-scale as Decimal's `toFixed()` writes it through {@link plain}. */
function formatScaled(units: bigint, scale: number): string {
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

/** Plain decimal strings on a common scale, or null when one needs Decimal. */
function aligned(values: (string | MoneyValue)[]): { units: bigint[]; scale: number } | null {
  const parts: { units: bigint; scale: number }[] = [];
  let scale = 0;
  for (const value of values) {
    if (typeof value !== 'string') return null;
    const part = scaled(value);
    if (!part) return null;
    parts.push(part);
    if (part.scale > scale) scale = part.scale;
  }
  return {
    units: parts.map((part) => part.units * 10n ** BigInt(scale - part.scale)),
    scale,
  };
}

/** The exact sum of two amounts, written as {@link plain} writes it. */
export function plus(left: string | MoneyValue, right: string | MoneyValue): string {
  const fast = aligned([left, right]);
  if (fast) return formatScaled(fast.units[0]! + fast.units[1]!, fast.scale);
  return plain(new Money(left).plus(right));
}

/** What is left of a limit after spend and holds, never below 0. */
export function remainingOf(
  limit: string | MoneyValue,
  spent: string | MoneyValue,
  reserved: string | MoneyValue,
): string {
  const fast = aligned([limit, spent, reserved]);
  if (fast) {
    const left = fast.units[0]! - fast.units[1]! - fast.units[2]!;
    return left > 0n ? formatScaled(left, fast.scale) : '0';
  }
  return plain(Money.max(0, new Money(limit).minus(spent).minus(reserved)));
}
