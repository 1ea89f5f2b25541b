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

/** What is left of a limit after spend and holds, never below 0. */
export function remainingOf(
  limit: string | MoneyValue,
  spent: string | MoneyValue,
  reserved: string | MoneyValue,
): string {
  return plain(Money.max(0, new Money(limit).minus(spent).minus(reserved)));
}
