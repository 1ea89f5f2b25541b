import { compareDecimals, sumDecimals } from './decimal';
import { jsonText } from './format';

/** The dimensions the overview can stack spend by (SpendDimension values, lower case). */
export const STACK_DIMENSIONS = [
  'team',
  'feature',
  'model',
  'provider',
  'project',
  'environment',
  'customer',
  'user',
  'agent',
] as const;
export type StackDimension = (typeof STACK_DIMENSIONS)[number];

export interface SpendRowLike {
  cost: string;
  dimensions: Record<string, unknown>;
}

/** One stacked series: a dimension value and its cost per day (decimal strings). */
export interface Series {
  name: string;
  values: string[];
  total: string;
}

export interface StackedSpend {
  days: string[];
  series: Series[];
}

/** Rows without the dimension are spend nobody tagged with it. */
export const UNTAGGED = '(untagged)';
/** Values past the largest ones are summed into one series. */
export const OTHER = '(other)';

/** Every UTC day from `from` (included) to `to` (excluded) as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = new Date(to).getTime();
  for (let time = new Date(from).getTime(); time < end; time += 86_400_000) {
    days.push(new Date(time).toISOString().slice(0, 10));
    if (days.length > 1100) break;
  }
  return days;
}

/**
 * Spend rows grouped by [DAY, dimension] as one series per dimension value over every day of
 * the range (0 where a value spent nothing), largest total first; past `limit` values the
 * rest are summed into "(other)". Sums are exact.
 */
export function stackSpend(
  rows: SpendRowLike[],
  dimension: StackDimension,
  days: string[],
  limit = 8,
): StackedSpend {
  const dayIndex = new Map(days.map((day, index) => [day, index]));
  const byValue = new Map<string, string[][]>();
  for (const row of rows) {
    const day = jsonText(row.dimensions.day ?? '');
    const index = dayIndex.get(day);
    if (index === undefined) continue;
    const raw = row.dimensions[dimension];
    const name = raw === null || raw === undefined || raw === '' ? UNTAGGED : jsonText(raw);
    let cells = byValue.get(name);
    if (!cells) {
      cells = days.map(() => []);
      byValue.set(name, cells);
    }
    cells[index].push(row.cost);
  }
  const all: Series[] = [...byValue.entries()].map(([name, cells]) => {
    const values = cells.map((cell) => sumDecimals(cell));
    return { name, values, total: sumDecimals(values) };
  });
  all.sort((a, b) => compareDecimals(b.total, a.total) || a.name.localeCompare(b.name));
  if (all.length <= limit) return { days, series: all };
  const kept = all.slice(0, limit - 1);
  const rest = all.slice(limit - 1);
  const values = days.map((_, index) => sumDecimals(rest.map((series) => series.values[index])));
  return { days, series: [...kept, { name: OTHER, values, total: sumDecimals(values) }] };
}
