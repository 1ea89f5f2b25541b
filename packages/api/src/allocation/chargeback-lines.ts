import { Money, type MoneyValue } from '@purser/pricing';
import type { AllocationOutcome } from './allocation-engine';
import type { ChargebackLineValue } from './allocation-types';

/**
 * The drill-down lines of engine runs (those with lines kept), summed by cost center, rule
 * version, kind and usage combination; ordered by cost center, then largest amount first.
 * `ChargebackService.lines` reads them for every cost center at once (the statements) or for
 * one (`chargebackDetail`): the same runs and sums, so the two always agree.
 */
export function drillDownLines(outcomes: readonly AllocationOutcome[]): ChargebackLineValue[] {
  const lines = new Map<string, ChargebackLineValue & { sum: MoneyValue }>();
  for (const line of outcomes.flatMap((outcome) => outcome.lines)) {
    const tags = Object.fromEntries(
      Object.entries(line.usage.tags).filter(([, value]) => value !== null),
    );
    const dimensions = { ...line.usage.dims, ...(Object.keys(tags).length ? { tags } : {}) };
    const key = JSON.stringify([
      line.costCenter,
      line.rule.id,
      line.rule.version,
      line.kind,
      dimensions,
    ]);
    const entry = lines.get(key) ?? {
      costCenter: line.costCenter,
      ruleId: line.rule.id,
      ruleName: line.rule.name,
      ruleVersion: line.rule.version,
      method: line.rule.method,
      kind: line.kind,
      dimensions,
      amount: '0',
      sum: new Money(0),
    };
    entry.sum = entry.sum.plus(line.amount);
    lines.set(key, entry);
  }
  return [...lines.values()]
    .map(({ sum, ...line }) => ({ ...line, amount: sum.isZero() ? '0' : sum.toFixed() }))
    .sort(
      (a, b) =>
        (a.costCenter < b.costCenter ? -1 : a.costCenter > b.costCenter ? 1 : 0) ||
        new Money(b.amount).comparedTo(a.amount) ||
        (a.ruleName ?? '').localeCompare(b.ruleName ?? ''),
    );
}
