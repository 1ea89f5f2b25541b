import { Money, type MoneyValue } from '@purser/pricing';

/** How many past weeks the baseline of an hour reads: the same hour of the week, 1 to 8 weeks back. */
export const BASELINE_WEEKS = 8;
/** Fewer past weeks than this (the data is younger): no baseline, never an anomaly. */
export const MIN_BASELINE_WEEKS = 4;
/** Robust score (excess over the scale below) an hour must reach to be an anomaly. */
export const SCORE_THRESHOLD = 4;
/** Excess (observed − expected, in the currency) an hour must reach: pennies page nobody. */
export const MIN_EXCESS = '5';
/** MAD × this estimates the standard deviation of normally distributed values. */
const MAD_TO_SIGMA = '1.4826';
/** The scale never goes below this share of the expected value (a flat history has MAD 0)… */
const RELATIVE_FLOOR = '0.1';
/** …nor below this amount (an hour that never spent has expected 0). */
const ABSOLUTE_FLOOR = '0.01';

export interface HourScore {
  /** The median of the baseline. */
  expected: MoneyValue;
  /**
   * Median absolute deviation: of the baseline from `expected`, pooled with each neighbouring
   * hour's values from their own median.
   */
  mad: MoneyValue;
  excess: MoneyValue;
  /** excess ÷ max(1.4826 × MAD, 10 % of |expected|, 0.01). */
  score: number;
  anomalous: boolean;
}

/** The median of decimal values (the mean of the two middle ones for an even count). */
export function median(values: readonly MoneyValue[]): MoneyValue {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((left, right) => left.comparedTo(right));
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : sorted[middle - 1]!.plus(sorted[middle]!).dividedBy(2);
}

/**
 * Scores one hour's spend against its baseline (the same hour of the week in past weeks, 0
 * where nothing was spent): robust to outliers, since a past spike moves neither the median
 * nor the MAD much. The MAD pools the baseline's deviations with those of the neighbouring
 * hours in the same weeks (`neighbours`: the hour before, the hour after, each from its own
 * median), so 24 values estimate the spread instead of 8: an 8-value MAD is itself so noisy
 * that a noisy series would cross the threshold about once in a hundred hours.
 * Anomalous when the score reaches {@link SCORE_THRESHOLD} and the excess reaches
 * {@link MIN_EXCESS}. Only spikes are anomalies: spending less than usual is not.
 */
export function scoreHour(
  observed: MoneyValue,
  baseline: readonly MoneyValue[],
  neighbours: readonly (readonly MoneyValue[])[] = [],
  options: { threshold?: number; minExcess?: MoneyValue } = {},
): HourScore {
  const expected = median(baseline);
  const deviations = (values: readonly MoneyValue[], centre: MoneyValue) =>
    values.map((value) => value.minus(centre).abs());
  const mad = median([
    ...deviations(baseline, expected),
    ...neighbours
      .filter((values) => values.length > 0)
      .flatMap((values) => deviations(values, median(values))),
  ]);
  const scale = Money.max(
    mad.times(MAD_TO_SIGMA),
    expected.abs().times(RELATIVE_FLOOR),
    new Money(ABSOLUTE_FLOOR),
  );
  const excess = observed.minus(expected);
  const score = excess.dividedBy(scale).toDecimalPlaces(4).toNumber();
  const anomalous =
    score >= (options.threshold ?? SCORE_THRESHOLD) &&
    excess.greaterThanOrEqualTo(options.minExcess ?? new Money(MIN_EXCESS));
  return { expected, mad, excess, score, anomalous };
}
