import { Money, type MoneyValue } from '@purser/pricing';

/** Whole days before today whose spend the weekday profile and the interval read. */
export const HISTORY_DAYS = 56;
/** Complete days the period needs before its own run rate is used (before: the last 7 days). */
export const MIN_RUN_DAYS = 3;
/** Days the recent rate reads while the period has fewer than {@link MIN_RUN_DAYS}. */
export const RECENT_DAYS = 7;
/** z of a two-sided 80 % normal interval. */
export const INTERVAL_Z = '1.2816';
/** Decimals of the projected amounts and the rate (half to even); actualToDate stays exact. */
export const FORECAST_DECIMALS = 6;

/**
 * How the projection was made: `CLOSED` (the period is over: actual spend), `RUN_RATE` (the
 * period's own complete days), `RECENT_RATE` (the last 7 complete days, the period being too
 * young), `NO_HISTORY` (no spend before today: nothing more is projected).
 */
export type ForecastMethod = 'CLOSED' | 'RUN_RATE' | 'RECENT_RATE' | 'NO_HISTORY';

/** One day of the series (a local day for budgets, a UTC day otherwise). */
export interface SpendDay {
  start: Date;
  end: Date;
  /** ISO weekday, 1 (Monday) to 7 (Sunday). */
  weekday: number;
  /** Spend of the day (so far, for today; 0 for days to come). */
  amount: MoneyValue;
}

export interface ForecastResult {
  actualToDate: MoneyValue;
  projected: MoneyValue;
  low: MoneyValue;
  high: MoneyValue;
  /** The de-seasonalised daily rate (spend of an average weekday). */
  dailyRate: MoneyValue;
  /** Weekday weights, Monday first (1 = an average day). */
  profile: MoneyValue[];
  /** Days of history read (complete days from the scope's first spend, at most 56). */
  historyDays: number;
  method: ForecastMethod;
}

const ZERO = new Money(0);
const sum = (values: readonly MoneyValue[]) =>
  values.reduce((total, value) => total.plus(value), ZERO);
const mean = (values: readonly MoneyValue[]) => sum(values).dividedBy(values.length);

/**
 * Weekday weights from the history: each weekday's mean spend over the mean of the seven
 * (a weekday without a sample gets the mean of the others); all 1 when nothing was spent.
 */
export function weekdayProfile(history: readonly SpendDay[]): MoneyValue[] {
  const means: (MoneyValue | null)[] = [1, 2, 3, 4, 5, 6, 7].map((weekday) => {
    const amounts = history.filter((day) => day.weekday === weekday).map((day) => day.amount);
    return amounts.length > 0 ? mean(amounts) : null;
  });
  const known = means.filter((value): value is MoneyValue => value !== null);
  if (known.length === 0) return means.map(() => new Money(1));
  const filled = means.map((value) => value ?? mean(known));
  const average = mean(filled);
  if (!average.greaterThan(0)) return filled.map(() => new Money(1));
  return filled.map((value) => value.dividedBy(average));
}

/**
 * End-of-period spend: the actual spend so far, plus the daily rate × the weekday weights of
 * the time left (the rest of today by its share of the day, then each whole day). The rate is
 * the spend of the period's complete days over their weights (or of the last 7 complete days
 * while the period has fewer than 3). The interval: each remaining day varies around its
 * expectation as the history's de-seasonalised daily spends did (sample standard deviation
 * s), independently, and the rate itself is estimated from the sample's days (weights w):
 * half-width = 1.2816 × s × √(Σ(weight × share)² + (Σ weight × share)² × Σw² / (Σw)²), an
 * 80 % interval; low is never below the actual spend. With fewer than 2 days of history it is ± the projected rest.
 */
export function forecastSpend(input: {
  /** Every day from the history's start to the period's end, in order. */
  days: readonly SpendDay[];
  periodStart: Date;
  periodEnd: Date;
  now: Date;
}): ForecastResult {
  const { days, periodStart, periodEnd, now } = input;
  const inPeriod = (day: SpendDay) => day.start >= periodStart && day.start < periodEnd;
  const actualToDate = sum(
    days.filter((day) => inPeriod(day) && day.start < now).map((day) => day.amount),
  );
  const complete = days.filter((day) => day.end <= now);
  const firstSpend = complete.findIndex((day) => !day.amount.isZero());
  const history = firstSpend < 0 ? [] : complete.slice(firstSpend).slice(-HISTORY_DAYS);
  const profile = weekdayProfile(history);
  const weight = (day: SpendDay) => profile[day.weekday - 1]!;
  const rateOver = (sample: readonly SpendDay[]) => {
    const weights = sum(sample.map(weight));
    return weights.greaterThan(0) ? sum(sample.map((day) => day.amount)).dividedBy(weights) : ZERO;
  };
  const periodDays = complete.filter(inPeriod);
  let method: ForecastMethod;
  let sample: readonly SpendDay[];
  if (now >= periodEnd) {
    method = 'CLOSED';
    sample = history;
  } else if (periodDays.length >= MIN_RUN_DAYS) {
    method = 'RUN_RATE';
    sample = periodDays;
  } else if (history.length > 0) {
    method = 'RECENT_RATE';
    sample = history.slice(-RECENT_DAYS);
  } else {
    method = 'NO_HISTORY';
    sample = [];
  }
  const rate = rateOver(sample);
  // The rate is itself estimated from the sample: its relative variance Σw² / (Σw)² applies
  // to every day left at once.
  const sampleWeights = sum(sample.map(weight));
  const rateShare = sampleWeights.greaterThan(0)
    ? sum(sample.map((day) => weight(day).pow(2))).dividedBy(sampleWeights.pow(2))
    : ZERO;
  // The time left: the rest of today by its share of the day, then each whole day.
  let weights = ZERO;
  let squares = ZERO;
  if (method !== 'CLOSED') {
    for (const day of days.filter((item) => inPeriod(item) && item.end > now)) {
      const left = day.end.getTime() - Math.max(now.getTime(), day.start.getTime());
      const share = new Money(left).dividedBy(day.end.getTime() - day.start.getTime());
      const part = weight(day).times(share);
      weights = weights.plus(part);
      squares = squares.plus(part.times(part));
    }
  }
  const rest = rate.times(weights);
  const projected = actualToDate.plus(rest);
  const deseasonalised = history
    .filter((day) => weight(day).greaterThan(0))
    .map((day) => day.amount.dividedBy(weight(day)));
  let half: MoneyValue;
  if (deseasonalised.length >= 2) {
    const average = mean(deseasonalised);
    const variance = sum(deseasonalised.map((value) => value.minus(average).pow(2))).dividedBy(
      deseasonalised.length - 1,
    );
    half = new Money(INTERVAL_Z)
      .times(variance.sqrt())
      .times(squares.plus(weights.pow(2).times(rateShare)).sqrt());
  } else {
    half = rest.abs();
  }
  const round = (value: MoneyValue) => value.toDecimalPlaces(FORECAST_DECIMALS);
  const low = Money.max(actualToDate, projected.minus(half));
  return {
    actualToDate,
    projected: round(projected),
    low: round(low),
    high: round(projected.plus(half)),
    dailyRate: round(rate),
    profile,
    historyDays: history.length,
    method,
  };
}
