import { subtractDecimals, sumDecimals } from './decimal';
import { daysBetween, type SpendRowLike } from './spend-series';
import { jsonText } from './format';

/** Budget scope keys (snake_case) the spend report can filter on (SpendFilter, camelCase). */
const FILTERABLE: Record<string, string> = {
  team: 'team',
  feature: 'feature',
  project: 'project',
  environment: 'environment',
  customer: 'customer',
  user: 'user',
  agent: 'agent',
  provider: 'provider',
  model: 'model',
};

/** The spend filter of a budget's scope, or the scope keys the spend report cannot filter on. */
export function scopeToFilter(
  scope: Record<string, unknown>,
): { filter: Record<string, string> } | { unsupported: string[] } {
  const filter: Record<string, string> = {};
  const unsupported: string[] = [];
  for (const [key, value] of Object.entries(scope)) {
    if (value === null || value === undefined || value === '') continue;
    const name = FILTERABLE[key];
    if (!name || typeof value !== 'string') unsupported.push(key);
    else filter[name] = value;
  }
  return unsupported.length ? { unsupported } : { filter };
}

export interface BurnDown {
  days: string[];
  /** Limit − spend so far at the end of each day, through today; null after. */
  remaining: (string | null)[];
  /** Today's remaining less the open holds. */
  afterHolds: string;
  /** Remaining at the window's end at the run rate (null without a forecast). */
  forecastRemaining: string | null;
  /** Remaining at the window's end for the forecast's 80 % interval (high spend, low spend). */
  intervalRemaining: { atHigh: string; atLow: string } | null;
  /** Index of today in days. */
  today: number;
}

/**
 * A budget window's burn-down: what is left of the limit at the end of each day of the window,
 * then the holds and the forecast. `rows` are the window's spend grouped by DAY.
 */
export function burnDown(input: {
  limit: string;
  reserved: string;
  forecast: string | null;
  /** The forecast's 80 % interval of the spend at the window's end. */
  interval?: { low: string; high: string } | null;
  windowStart: string;
  windowEnd: string | null;
  now: Date;
  rows: SpendRowLike[];
}): BurnDown {
  const startDay = `${input.windowStart.slice(0, 10)}T00:00:00.000Z`;
  const tomorrow = new Date(
    Date.UTC(input.now.getUTCFullYear(), input.now.getUTCMonth(), input.now.getUTCDate() + 1),
  );
  const end =
    input.windowEnd && new Date(input.windowEnd) > tomorrow
      ? input.windowEnd
      : tomorrow.toISOString();
  const days = daysBetween(startDay, end);
  const todayDay = input.now.toISOString().slice(0, 10);
  const today = Math.max(
    0,
    days.indexOf(todayDay) === -1 ? days.length - 1 : days.indexOf(todayDay),
  );
  const byDay = new Map<string, string[]>();
  for (const row of input.rows) {
    const day = jsonText(row.dimensions.day ?? '');
    byDay.set(day, [...(byDay.get(day) ?? []), row.cost]);
  }
  let spent = '0';
  const remaining = days.map((day, index) => {
    if (index > today) return null;
    spent = sumDecimals([spent, ...(byDay.get(day) ?? [])]);
    return subtractDecimals(input.limit, spent);
  });
  const left = remaining[today] ?? input.limit;
  return {
    days,
    remaining,
    afterHolds: subtractDecimals(left, input.reserved),
    forecastRemaining:
      input.forecast === null ? null : subtractDecimals(input.limit, input.forecast),
    intervalRemaining: input.interval
      ? {
          atHigh: subtractDecimals(input.limit, input.interval.high),
          atLow: subtractDecimals(input.limit, input.interval.low),
        }
      : null,
    today,
  };
}
