import { Money, type MoneyValue } from '@purser/pricing';

/**
 * The decimal places a split is rounded to when a part cannot be exact (EVEN by 3,
 * PROPORTIONAL): 12, or the amount's own places when it has more, so the amount itself is
 * always a whole number of the unit handed out.
 */
export const SPLIT_SCALE = 12;

/** Weights made integers once (a rule's weights serve every usage row it splits). */
export interface PreparedWeights {
  scaled: bigint[];
  whole: bigint;
}

/** A decimal's digits as an integer at `scale` places (the decimal has at most that many). */
function toUnits(value: MoneyValue, scale: number): bigint {
  const text = value.abs().toFixed(scale);
  return BigInt(text.replace('.', ''));
}

/** Integer weights for {@link splitPrepared}; all zero → equal weights (even parts). */
export function prepareWeights(weights: readonly MoneyValue[]): PreparedWeights {
  if (weights.length === 0) throw new Error('splitAmount: no weights');
  if (weights.some((weight) => weight.isNegative() && !weight.isZero())) {
    throw new Error('splitAmount: negative weight');
  }
  const allZero = weights.every((weight) => weight.isZero());
  const scale = allZero ? 0 : Math.max(...weights.map((weight) => weight.decimalPlaces()));
  const scaled = weights.map((weight) => (allZero ? 1n : toUnits(weight, scale)));
  return { scaled, whole: scaled.reduce((sum, weight) => sum + weight, 0n) };
}

/**
 * Splits `amount` into parts proportional to `weights` (any non-negative decimals: percents
 * for FIXED, 1s for EVEN, direct costs for PROPORTIONAL). All weights zero → equal parts.
 *
 * Largest-remainder method: every part is first the floor of its exact quota at the scale
 * (see {@link SPLIT_SCALE}); the units left over (fewer than the number of parts) go one each
 * to the parts with the largest remainders, ties to the earlier weight (the rule's target
 * order). The parts always sum exactly to `amount`; a part whose quota is exact at the scale
 * is exactly its quota (FIXED percents of ordinary amounts never round). A negative amount is
 * split as its absolute value, every part negated. Integer arithmetic (BigInt) throughout.
 */
export function splitAmount(amount: MoneyValue, weights: readonly MoneyValue[]): MoneyValue[] {
  return splitPrepared(amount, prepareWeights(weights));
}

export function splitPrepared(amount: MoneyValue, weights: PreparedWeights): MoneyValue[] {
  const { units, scale, negative } = splitUnits(amount, weights);
  return units.map((part) => unitsToMoney(part, scale, negative));
}

/** A split as integers: each part is `units[i]` × 10^-scale, negated when `negative`. */
export interface SplitUnits {
  units: bigint[];
  scale: number;
  negative: boolean;
}

/** {@link splitPrepared} without making a decimal of each part (the engine sums integers). */
export function splitUnits(amount: MoneyValue, weights: PreparedWeights): SplitUnits {
  const { scaled, whole } = weights;
  const scale = Math.max(SPLIT_SCALE, amount.decimalPlaces());
  const negative = amount.isNegative();
  if (amount.isZero()) return { units: scaled.map(() => 0n), scale, negative: false };
  const total = toUnits(amount, scale);
  const floors: bigint[] = [];
  const remainders: bigint[] = [];
  let leftover = total;
  for (const weight of scaled) {
    const product = total * weight;
    const floor = product / whole;
    floors.push(floor);
    remainders.push(product - floor * whole);
    leftover -= floor;
  }
  // `leftover` counts units of 10^-scale: fewer than the number of parts.
  if (leftover > 0n) {
    const order = remainders
      .map((remainder, index) => ({ remainder, index }))
      .sort((a, b) =>
        a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
      );
    for (let given = 0n; given < leftover; given += 1n) floors[order[Number(given)].index] += 1n;
  }
  return { units: floors, scale, negative };
}

/** `units` × 10^-scale as a decimal, negated when `negative`. */
export function unitsToMoney(units: bigint, scale: number, negative: boolean): MoneyValue {
  if (units === 0n) return new Money(0);
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const sign = negative !== units < 0n ? '-' : '';
  return new Money(`${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}
