import { Money, type MoneyValue } from '@purser/pricing';
import { splitAmount } from './allocation-split';
import {
  MATCH_KEYS,
  type AllocationMatchValue,
  type AllocationMethodName,
  type MatchKey,
} from './allocation-types';

/**
 * The allocation engine: pure, no I/O. It takes usage already summed per rule segment and
 * combination (a few thousand rows for a month) and the rules in force in each segment, and
 * says which cost center gets what. The chargeback, the preview and a period's close all
 * run it.
 */

/** A rule version as the engine needs it. */
export interface EngineRule {
  id: string | null;
  version: number | null;
  name: string;
  priority: number;
  match: AllocationMatchValue;
  method: AllocationMethodName;
  targets: { costCenter: string; weight: MoneyValue | null }[];
}

/** Usage summed per segment and combination. `tags` holds only the keys some rule matches. */
export interface UsageAggregate {
  segment: number;
  dims: Record<MatchKey, string | null>;
  tags: Record<string, string | null>;
  amount: MoneyValue;
}

/** A segment of the range: the same rules in force throughout, lowest priority first. */
export interface EngineSegment {
  rules: EngineRule[];
}

export interface AllocationLine {
  costCenter: string;
  rule: EngineRule;
  kind: 'DIRECT' | 'SHARED';
  usage: UsageAggregate;
  amount: MoneyValue;
}

export interface AllocationOutcome {
  lines: AllocationLine[];
  /** Usage no rule matched, with its amount. */
  unallocated: UsageAggregate[];
}

/** True when every field the match sets equals the usage's value. `{}` fits everything. */
export function matches(match: AllocationMatchValue, usage: UsageAggregate): boolean {
  for (const key of MATCH_KEYS) {
    const wanted = match[key];
    if (wanted !== undefined && wanted !== null && usage.dims[key] !== wanted) return false;
  }
  if (match.tags) {
    for (const [key, wanted] of Object.entries(match.tags)) {
      if (usage.tags[key] !== wanted) return false;
    }
  }
  return true;
}

/** Sorts rules lowest priority first (priorities in force at once are unique). */
export function byPriority(rules: readonly EngineRule[]): EngineRule[] {
  return [...rules].sort((a, b) => a.priority - b.priority);
}

/**
 * Runs the rules: each usage row goes to the first rule (lowest priority) whose match fits,
 * in the row's own segment. DIRECT rows are settled first, because PROPORTIONAL weights are
 * each target's direct cost over the whole run (all segments); every split's parts sum
 * exactly to the row's amount (`splitAmount`).
 */
export function allocate(
  usage: readonly UsageAggregate[],
  segments: readonly EngineSegment[],
): AllocationOutcome {
  const lines: AllocationLine[] = [];
  const unallocated: UsageAggregate[] = [];
  const shared: { rule: EngineRule; usage: UsageAggregate }[] = [];
  const direct = new Map<string, MoneyValue>();
  for (const row of usage) {
    const rules = segments[row.segment]?.rules ?? [];
    const rule = rules.find((candidate) => matches(candidate.match, row));
    if (!rule) {
      unallocated.push(row);
      continue;
    }
    if (rule.method === 'DIRECT') {
      const costCenter = rule.targets[0].costCenter;
      lines.push({ costCenter, rule, kind: 'DIRECT', usage: row, amount: row.amount });
      direct.set(costCenter, (direct.get(costCenter) ?? new Money(0)).plus(row.amount));
    } else {
      shared.push({ rule, usage: row });
    }
  }
  for (const { rule, usage: row } of shared) {
    const parts = splitAmount(row.amount, weightsOf(rule, direct));
    rule.targets.forEach((target, index) => {
      lines.push({
        costCenter: target.costCenter,
        rule,
        kind: 'SHARED',
        usage: row,
        amount: parts[index],
      });
    });
  }
  return { lines, unallocated };
}

function weightsOf(rule: EngineRule, direct: ReadonlyMap<string, MoneyValue>): MoneyValue[] {
  switch (rule.method) {
    case 'FIXED':
      return rule.targets.map((target) => target.weight ?? new Money(0));
    case 'PROPORTIONAL':
      // Direct cost is never negative in practice; a negative sum (credits) counts as none.
      return rule.targets.map((target) => {
        const cost = direct.get(target.costCenter) ?? new Money(0);
        return cost.isNegative() ? new Money(0) : cost;
      });
    default:
      return rule.targets.map(() => new Money(1));
  }
}

/** Per cost center sums of an outcome, and the unallocated sum. */
export interface AllocationTotals {
  byCostCenter: Map<string, { direct: MoneyValue; shared: MoneyValue }>;
  unallocated: MoneyValue;
}

export function totalsOf(outcome: AllocationOutcome): AllocationTotals {
  const byCostCenter = new Map<string, { direct: MoneyValue; shared: MoneyValue }>();
  for (const line of outcome.lines) {
    const entry = byCostCenter.get(line.costCenter) ?? {
      direct: new Money(0),
      shared: new Money(0),
    };
    if (line.kind === 'DIRECT') entry.direct = entry.direct.plus(line.amount);
    else entry.shared = entry.shared.plus(line.amount);
    byCostCenter.set(line.costCenter, entry);
  }
  const unallocated = outcome.unallocated.reduce((sum, row) => sum.plus(row.amount), new Money(0));
  return { byCostCenter, unallocated };
}
