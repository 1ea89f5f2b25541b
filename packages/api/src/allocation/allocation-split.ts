import { Money, type MoneyValue } from '@purser/pricing';

/**
 * The decimal places a split is rounded to when a part cannot be exact (EVEN by 3,
 * PROPORTIONAL): 12, or the amount's own places when it has more, so the amount itself is
 * always a whole number of the unit handed out.
 */
export const SPLIT_SCALE = 12;

/**
 * Integer arithmetic on scaled amounts and weights: products of a 40-digit amount and a
 * 40-digit weight stay exact, and `divToInt` of integers is the exact floor.
 */
const Exact = Money.clone({ precision: 200, rounding: Money.ROUND_DOWN });
type ExactValue = InstanceType<typeof Exact>;

/**
 * Splits `amount` into parts proportional to `weights` (any non-negative decimals: percents
 * for FIXED, 1s for EVEN, direct costs for PROPORTIONAL). All weights zero → equal parts.
 *
 * Largest-remainder method: every part is first the floor of its exact quota at the scale
 * (see {@link SPLIT_SCALE}); the units left over (fewer than the number of parts) go one each
 * to the parts with the largest remainders, ties to the earlier weight (the rule's target
 * order). The parts always sum exactly to `amount`; a part whose quota is exact at the scale
 * is exactly its quota (FIXED percents of ordinary amounts never round). A negative amount is
 * split as its absolute value, every part negated.
 */
export function splitAmount(amount: MoneyValue, weights: readonly MoneyValue[]): MoneyValue[] {
  if (weights.length === 0) throw new Error('splitAmount: no weights');
  if (weights.some((weight) => weight.isNegative() && !weight.isZero())) {
    throw new Error('splitAmount: negative weight');
  }
  if (amount.isZero()) return weights.map(() => new Money(0));
  const scale = Math.max(SPLIT_SCALE, amount.decimalPlaces());
  const units = new Exact(amount.abs().toFixed()).times(new Exact(10).pow(scale));
  const allZero = weights.every((weight) => weight.isZero());
  const weightScale = allZero ? 0 : Math.max(...weights.map((weight) => weight.decimalPlaces()));
  const factor = new Exact(10).pow(weightScale);
  const scaled: ExactValue[] = weights.map((weight) =>
    allZero ? new Exact(1) : new Exact(weight.toFixed()).times(factor),
  );
  const whole = scaled.reduce((sum, weight) => sum.plus(weight), new Exact(0));
  const quotas = scaled.map((weight) => {
    const product = units.times(weight);
    const floor = product.divToInt(whole);
    return { floor, remainder: product.minus(floor.times(whole)) };
  });
  let leftover = quotas.reduce((sum, quota) => sum.minus(quota.floor), units).toNumber();
  // `leftover` counts units of 10^-scale: an integer below the number of parts, never money.
  const order = quotas
    .map((quota, index) => ({ index, remainder: quota.remainder }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.index - b.index);
  const bonus = new Array<number>(weights.length).fill(0);
  for (const { index } of order) {
    if (leftover <= 0) break;
    bonus[index] = 1;
    leftover -= 1;
  }
  const negative = amount.isNegative();
  const unit = new Exact(10).pow(-scale);
  return quotas.map((quota, index) => {
    const part = quota.floor.plus(bonus[index]).times(unit);
    return new Money((negative ? part.negated() : part).toFixed());
  });
}
