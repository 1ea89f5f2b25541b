import { Money, type MoneyValue } from '@purser/pricing';

/** Nano-units per currency unit: money enters Rego as integers of 1e-9. */
const NANOS = new Money(1_000_000_000);

/** An amount in nano-units, rounded up (estimates and spend never under-count). */
export function toNanosCeil(amount: string | MoneyValue): string {
  return new Money(amount).times(NANOS).ceil().toFixed(0);
}

/** An amount in nano-units, rounded down (limits never over-state). */
export function toNanosFloor(amount: string | MoneyValue): string {
  return new Money(amount).times(NANOS).floor().toFixed(0);
}

export function decimal(value: string | number | MoneyValue | null | undefined): MoneyValue {
  return new Money(value ?? 0);
}

export function plain(value: MoneyValue): string {
  return value.isZero() ? '0' : value.toFixed();
}
