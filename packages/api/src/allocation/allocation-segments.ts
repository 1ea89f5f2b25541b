import { Money } from '@purser/pricing';
import { byPriority, type EngineRule, type EngineSegment } from './allocation-engine';
import type { AllocationRuleVersionValue } from './allocation-types';

/** A rule version and the interval it is in force on (`to` null: open-ended). */
export interface TimedRule {
  rule: EngineRule;
  from: Date;
  to: Date | null;
  deleted: boolean;
}

export function timedRuleOf(version: AllocationRuleVersionValue): TimedRule {
  return {
    rule: {
      id: version.id,
      version: version.version,
      name: version.name,
      priority: version.priority,
      match: version.match,
      method: version.method,
      targets: version.targets.map((target) => ({
        costCenter: target.costCenter,
        weight:
          target.weight === undefined || target.weight === null ? null : new Money(target.weight),
      })),
    },
    from: version.effectiveFrom,
    to: version.effectiveTo,
    deleted: version.deleted,
  };
}

/**
 * Cuts `[from, to)` where any version starts or ends: within a segment the same rules are in
 * force. Versions start on whole hours, so a segment boundary never splits an hourly rollup
 * row. Returns the segment starts (the first is `from`), each segment's rules by priority,
 * and the tag keys any of them matches.
 */
export function segmentsOf(
  versions: readonly TimedRule[],
  from: Date,
  to: Date,
): { bounds: Date[]; segments: EngineSegment[]; tagKeys: string[] } {
  const cuts = new Set<number>([from.getTime()]);
  for (const version of versions) {
    for (const edge of [version.from, version.to]) {
      if (edge && edge > from && edge < to) cuts.add(edge.getTime());
    }
  }
  const starts = [...cuts].sort((a, b) => a - b);
  const tagKeys = new Set<string>();
  const segments = starts.map((start) => {
    const rules = versions
      .filter(
        (version) =>
          !version.deleted &&
          version.from.getTime() <= start &&
          (version.to === null || version.to.getTime() > start),
      )
      .map((version) => version.rule);
    for (const rule of rules)
      for (const key of Object.keys(rule.match.tags ?? {})) tagKeys.add(key);
    return { rules: byPriority(rules) };
  });
  return {
    bounds: starts.map((start) => new Date(start)),
    segments,
    tagKeys: [...tagKeys].sort(),
  };
}
