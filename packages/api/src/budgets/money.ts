import { formatScaled, Money, type MoneyValue, rescale, scaledAmount } from '@purser/pricing';

// Amount helpers that are not budgets' own (nano-units, plus, isZeroAmount) live in
// @purser/pricing (scaled-decimal.ts).

export function decimal(value: string | number | MoneyValue | null | undefined): MoneyValue {
  return new Money(value ?? 0);
}

export function plain(value: MoneyValue): string {
  return value.isZero() ? '0' : value.toFixed();
}

/**
 * What is left of a budget's limit after spend and holds, never below 0: plain decimal
 * strings as scaled integers, exactly as Decimal answers (Decimal for any other form).
 */
export function remainingOf(
  limit: string | MoneyValue,
  spent: string | MoneyValue,
  reserved: string | MoneyValue,
): string {
  const a = typeof limit === 'string' ? scaledAmount(limit) : null;
  const b = a && typeof spent === 'string' ? scaledAmount(spent) : null;
  const c = b && typeof reserved === 'string' ? scaledAmount(reserved) : null;
  if (a && b && c) {
    const scale = Math.max(a.scale, b.scale, c.scale);
    const left = rescale(a, scale) - rescale(b, scale) - rescale(c, scale);
    return left > 0n ? formatScaled(left, scale) : '0';
  }
  return plain(Money.max(0, new Money(limit).minus(spent).minus(reserved)));
}
