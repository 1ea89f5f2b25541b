// Shared by the anomaly suites: usage laid out by day from Tuesday 2026-09-29, so that a
// suite's spike lands on a weekday and hour whose baseline it controls.
import type { UsageFixture } from '../allocation/allocation-support';
import { unique } from '../support/decisions';

const DAY_MS = 86_400_000;

/** `hour` o'clock UTC of the `day`th day after Tuesday 2026-09-29 (negative: before it). */
export const dayAt = (day: number, hour: number) =>
  new Date(Date.UTC(2026, 8, 29) + day * DAY_MS + hour * 3_600_000).toISOString();

/** A flat baseline: 10.00 at 14:00 UTC on each of the first `days` days, on `attribution`. */
export const flatDays = (days: number, attribution: Record<string, string>): UsageFixture[] =>
  Array.from({ length: days }, (_, day) => ({
    id: unique('d'),
    at: dayAt(day, 14),
    input: 10,
    attribution,
  }));
