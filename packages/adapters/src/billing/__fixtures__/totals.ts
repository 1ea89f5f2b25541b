/** Sums of cost lines for the adapters' tests. */
import { Money } from '@purser/pricing';

import type { ProviderCostLine } from '../provider-cost-line';

/** Σ amount of the lines per the key `keyOf` gives each, exact. */
export function amountTotals(
  lines: readonly ProviderCostLine[],
  keyOf: (line: ProviderCostLine) => string,
): Record<string, string> {
  const sums = new Map<string, InstanceType<typeof Money>>();
  for (const line of lines) {
    const key = keyOf(line);
    sums.set(key, (sums.get(key) ?? new Money(0)).plus(line.amount));
  }
  return Object.fromEntries([...sums].map(([key, sum]) => [key, sum.toFixed()]));
}

/** Σ amount of the lines per `day|project`, exact: the per-day totals the provider READMEs give. */
export function dayProjectTotals(lines: readonly ProviderCostLine[]): Record<string, string> {
  return amountTotals(lines, (line) => `${line.day}|${line.project}`);
}
