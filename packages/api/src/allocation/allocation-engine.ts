import { Money, type MoneyValue } from '@purser/pricing';
import { prepareWeights, splitUnits, unitsToMoney, type PreparedWeights } from './allocation-split';
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
  /** A split's part is made a decimal only when read (drill-down): the totals sum integers. */
  readonly amount: MoneyValue;
}

export interface AllocationOutcome {
  lines: AllocationLine[];
  /** Usage no rule matched, with its amount. */
  unallocated: UsageAggregate[];
  totals: AllocationTotals;
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

export type Matcher = (usage: UsageAggregate) => boolean;

/** {@link matches} for one rule, with only the fields it sets (run thousands of times). */
export function compile(match: AllocationMatchValue): Matcher {
  const fields = MATCH_KEYS.flatMap((key) => {
    const wanted = match[key];
    return wanted === undefined || wanted === null ? [] : [[key, wanted] as const];
  });
  const tags = Object.entries(match.tags ?? {});
  return (usage) => {
    for (const [key, wanted] of fields) if (usage.dims[key] !== wanted) return false;
    for (const [key, wanted] of tags) if (usage.tags[key] !== wanted) return false;
    return true;
  };
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
  /** Which cost centers' lines to keep (drill-down): the totals never need them. */
  keepLines: (costCenter: string) => boolean = () => true,
): AllocationOutcome {
  const lines: AllocationLine[] = [];
  const unallocated: UsageAggregate[] = [];
  const shared: { rule: EngineRule; usage: UsageAggregate }[] = [];
  const direct = new Map<string, MoneyValue>();
  const matchers = new Map<EngineRule, Matcher>();
  const compiled = segments.map((segment) =>
    segment.rules.map((rule) => {
      let matcher = matchers.get(rule);
      if (!matcher) {
        matcher = compile(rule.match);
        matchers.set(rule, matcher);
      }
      return { rule, matcher };
    }),
  );
  for (const row of usage) {
    const rule = (compiled[row.segment] ?? []).find(({ matcher }) => matcher(row))?.rule;
    if (!rule) {
      unallocated.push(row);
      continue;
    }
    if (rule.method === 'DIRECT') {
      const costCenter = rule.targets[0].costCenter;
      if (keepLines(costCenter)) {
        lines.push({ costCenter, rule, kind: 'DIRECT', usage: row, amount: row.amount });
      }
      direct.set(costCenter, (direct.get(costCenter) ?? new Money(0)).plus(row.amount));
    } else {
      shared.push({ rule, usage: row });
    }
  }
  // A rule's weights are the same for every row it splits in this run: made integers once.
  const prepared = new Map<EngineRule, PreparedWeights>();
  // Shared parts summed as integers per cost center and scale (10^-scale units, signed).
  const sharedUnits = new Map<string, Map<number, bigint>>();
  for (const { rule, usage: row } of shared) {
    let weights = prepared.get(rule);
    if (!weights) {
      weights = prepareWeights(weightsOf(rule, direct));
      prepared.set(rule, weights);
    }
    const { units, scale, negative } = splitUnits(row.amount, weights);
    rule.targets.forEach((target, index) => {
      const part = units[index];
      const byScale = sharedUnits.get(target.costCenter) ?? new Map<number, bigint>();
      byScale.set(scale, (byScale.get(scale) ?? 0n) + (negative ? -part : part));
      sharedUnits.set(target.costCenter, byScale);
      if (!keepLines(target.costCenter)) return;
      let amount: MoneyValue | undefined;
      lines.push({
        costCenter: target.costCenter,
        rule,
        kind: 'SHARED',
        usage: row,
        get amount() {
          amount ??= unitsToMoney(part, scale, negative);
          return amount;
        },
      });
    });
  }
  const byCostCenter = new Map<string, { direct: MoneyValue; shared: MoneyValue }>();
  for (const [costCenter, amount] of direct) {
    byCostCenter.set(costCenter, { direct: amount, shared: new Money(0) });
  }
  for (const [costCenter, byScale] of sharedUnits) {
    let sum = new Money(0);
    for (const [scale, units] of byScale) sum = sum.plus(unitsToMoney(units, scale, false));
    const entry = byCostCenter.get(costCenter) ?? { direct: new Money(0), shared: new Money(0) };
    entry.shared = sum;
    byCostCenter.set(costCenter, entry);
  }
  const unallocatedSum = unallocated.reduce((sum, row) => sum.plus(row.amount), new Money(0));
  return { lines, unallocated, totals: { byCostCenter, unallocated: unallocatedSum } };
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
