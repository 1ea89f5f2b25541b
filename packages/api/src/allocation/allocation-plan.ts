import { Money } from '@purser/pricing';
import type {
  AllocationRuleInputValue,
  AllocationRuleVersionValue,
  CostCenterInputValue,
  CostCenterPatchValue,
  CostCenterValue,
} from './allocation-types';
import type {
  AllocationFile,
  AllocationFileCostCenter,
  AllocationFileRule,
} from './allocation-yaml-check';
import { normalMatch, treeOrder } from './allocation-yaml-export';
import { orderRuleSteps, type RuleStep } from './allocation-plan-order';

/** The stored allocation a file is compared with. */
export interface AllocationState {
  /** Every cost center, deactivated ones too. */
  costCenters: readonly CostCenterValue[];
  /** The rule versions in force now (not deleted). */
  rules: readonly AllocationRuleVersionValue[];
}

/** One change, in the order `apply` makes them. */
export type PlanStep =
  | { kind: 'createCostCenter'; input: CostCenterInputValue }
  | { kind: 'updateCostCenter'; code: string; patch: CostCenterPatchValue; changes: string[] }
  | { kind: 'deactivateCostCenter'; code: string }
  | RuleStep;

export interface AllocationPlan {
  steps: PlanStep[];
  /** What makes the file impossible to apply against this state (nothing is applied). */
  problems: string[];
}

const quote = (value: string | null) => (value === null ? 'none' : JSON.stringify(value));

/** The fields a file may change on a stored cost center: as the file names it, as stored. */
const CHANGEABLE = [
  ['name', 'name'],
  ['parent', 'parentCode'],
  ['glAccount', 'glAccount'],
  ['owner', 'owner'],
] as const satisfies readonly (readonly [
  keyof AllocationFileCostCenter,
  keyof CostCenterPatchValue & keyof CostCenterValue,
])[];

function costCenterChanges(
  wanted: AllocationFileCostCenter,
  stored: CostCenterValue,
): { patch: CostCenterPatchValue; changes: string[] } {
  const patch: Record<string, string | null> = {};
  const changes: string[] = [];
  for (const [field, storedField] of CHANGEABLE) {
    if (wanted[field] !== stored[storedField]) {
      patch[storedField] = wanted[field];
      changes.push(`${field} ${quote(stored[storedField])} → ${quote(wanted[field])}`);
    }
  }
  return { patch: patch as CostCenterPatchValue, changes };
}

/** `CC-A 60, CC-B 40` or `CC-A, CC-B`. */
export function targetsText(targets: AllocationFileRule['targets']): string {
  return targets
    .map((target) =>
      target.weight !== undefined && target.weight !== null
        ? `${target.costCenter} ${new Money(target.weight).toFixed()}`
        : target.costCenter,
    )
    .join(', ');
}

function sameTargets(a: AllocationFileRule['targets'], b: AllocationFileRule['targets']): boolean {
  return (
    a.length === b.length &&
    a.every((target, index) => {
      const other = b[index];
      if (target.costCenter !== other.costCenter) return false;
      const hasWeight = target.weight !== undefined && target.weight !== null;
      const otherHasWeight = other.weight !== undefined && other.weight !== null;
      if (hasWeight !== otherHasWeight) return false;
      return !hasWeight || new Money(target.weight!).equals(new Money(other.weight!));
    })
  );
}

function ruleChanges(wanted: AllocationFileRule, stored: AllocationRuleVersionValue): string[] {
  const changes: string[] = [];
  if (wanted.priority !== stored.priority) {
    changes.push(`priority ${stored.priority} → ${wanted.priority}`);
  }
  if (wanted.method !== stored.method) changes.push(`method ${stored.method} → ${wanted.method}`);
  const before = JSON.stringify(normalMatch(stored.match));
  const after = JSON.stringify(normalMatch(wanted.match));
  if (before !== after) changes.push(`match ${before} → ${after}`);
  if (!sameTargets(wanted.targets, stored.targets)) {
    changes.push(`targets ${targetsText(stored.targets)} → ${targetsText(wanted.targets)}`);
  }
  return changes;
}

/** The service input of a file rule. */
export function ruleInputOf(rule: AllocationFileRule): AllocationRuleInputValue {
  return {
    name: rule.name,
    priority: rule.priority,
    match: normalMatch(rule.match),
    method: rule.method,
    targets: rule.targets.map((target) =>
      target.weight !== undefined
        ? { costCenter: target.costCenter, weight: target.weight }
        : { costCenter: target.costCenter },
    ),
  };
}

/**
 * What applying `file` to `state` changes (pure). The file is the whole desired state:
 * cost centers are matched by code (created, updated, or deactivated when not in the file
 * or marked `active: false`; a deactivated one cannot come back),
 * rules by name (created, updated as a new version, or deleted when not in the file). The
 * steps come in an order the service accepts one by one: cost centers parents first, rule
 * deletes, then rule updates and creates in an order that never holds one priority twice
 * (see `orderRuleSteps`), then deactivations children first.
 */
export function planAllocation(file: AllocationFile, state: AllocationState): AllocationPlan {
  const problems: string[] = [];
  const stored = new Map(state.costCenters.map((costCenter) => [costCenter.code, costCenter]));
  const steps: PlanStep[] = [];
  const indexOf = new Map(file.costCenters.map((costCenter, index) => [costCenter.code, index]));
  // Deactivated at the end (children first): stored active ones the file drops or marks
  // inactive, and new ones the file lists as inactive (created, then deactivated).
  const deactivate = new Set<string>();
  for (const wanted of treeOrder(file.costCenters)) {
    const current = stored.get(wanted.code);
    if (!current) {
      steps.push({
        kind: 'createCostCenter',
        input: {
          code: wanted.code,
          name: wanted.name,
          parentCode: wanted.parent,
          glAccount: wanted.glAccount,
          owner: wanted.owner,
        },
      });
      if (!wanted.active) deactivate.add(wanted.code);
      continue;
    }
    if (!current.active && wanted.active) {
      problems.push(
        `costCenters[${indexOf.get(wanted.code)}].code: cost center "${wanted.code}" is deactivated and cannot be reactivated; give it a new code (or mark it active: false)`,
      );
      continue;
    }
    const { patch, changes } = costCenterChanges(wanted, current);
    if (changes.length > 0) {
      steps.push({ kind: 'updateCostCenter', code: wanted.code, patch, changes });
    }
    if (current.active && !wanted.active) deactivate.add(wanted.code);
  }
  const wantedCodes = new Set(file.costCenters.map((costCenter) => costCenter.code));
  for (const costCenter of state.costCenters) {
    if (costCenter.active && !wantedCodes.has(costCenter.code)) deactivate.add(costCenter.code);
  }
  const inactive = new Set(
    file.costCenters
      .filter((costCenter) => !costCenter.active)
      .map((costCenter) => costCenter.code),
  );

  const storedRules = new Map<string, AllocationRuleVersionValue>();
  for (const rule of state.rules) {
    if (rule.deleted) continue;
    if (storedRules.has(rule.name)) {
      problems.push(
        `rules: two rules in force are named "${rule.name}" (ids ${storedRules.get(rule.name)!.id}, ${rule.id}); rename one through the API, rules are matched by name`,
      );
    }
    storedRules.set(rule.name, rule);
  }
  const wantedNames = new Set(file.rules.map((rule) => rule.name));
  const deletes: RuleStep[] = [...storedRules.values()]
    .filter((rule) => !wantedNames.has(rule.name))
    .sort((a, b) => a.priority - b.priority)
    .map((rule) => ({ kind: 'deleteRule', id: rule.id, name: rule.name, priority: rule.priority }));
  const writes: RuleStep[] = [];
  file.rules.forEach((rule, index) => {
    const current = storedRules.get(rule.name);
    const changes = current ? ruleChanges(rule, current) : [];
    // The service refuses a deactivated cost center as the target of a new version; a rule
    // the file keeps as it is may still name one.
    if (!current || changes.length > 0) {
      rule.targets.forEach((target, targetIndex) => {
        if (inactive.has(target.costCenter)) {
          problems.push(
            `rules[${index}].targets[${targetIndex}].costCenter: cost center "${target.costCenter}" is deactivated (a new or changed rule cannot take it)`,
          );
        }
      });
    }
    if (!current) {
      writes.push({ kind: 'createRule', input: ruleInputOf(rule) });
      return;
    }
    if (changes.length > 0) {
      writes.push({
        kind: 'updateRule',
        id: current.id,
        name: rule.name,
        fromPriority: current.priority,
        input: ruleInputOf(rule),
        changes,
        temporary: false,
      });
    }
  });
  const keptPriorities = file.rules
    .filter((rule) => storedRules.has(rule.name))
    .map((rule) => ({ name: rule.name, priority: storedRules.get(rule.name)!.priority }));
  steps.push(...deletes, ...orderRuleSteps(writes, keptPriorities, file.rules));

  // Depth in the tree after the updates: the file's parents, the store's for the rest.
  const depth = depthsOf([
    ...file.costCenters.map((costCenter) => ({
      code: costCenter.code,
      parentCode: costCenter.parent,
    })),
    ...state.costCenters.filter((costCenter) => !wantedCodes.has(costCenter.code)),
  ]);
  steps.push(
    ...[...deactivate]
      .sort((a, b) => (depth.get(b) ?? 0) - (depth.get(a) ?? 0) || (a < b ? -1 : 1))
      .map((code): PlanStep => ({ kind: 'deactivateCostCenter', code })),
  );
  return { steps: problems.length > 0 ? [] : steps, problems };
}

/** Each cost center's depth in the stored tree (iterative: a deep tree needs no deep stack). */
function depthsOf(
  costCenters: readonly Pick<CostCenterValue, 'code' | 'parentCode'>[],
): Map<string, number> {
  const parents = new Map(
    costCenters.map((costCenter) => [costCenter.code, costCenter.parentCode]),
  );
  const depth = new Map<string, number>();
  for (const costCenter of costCenters) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let current: string | null = costCenter.code;
    // Walk up to a known depth, a root, or (impossible in a store) a cycle, which counts as 0.
    while (
      current !== null &&
      parents.has(current) &&
      !depth.has(current) &&
      !onPath.has(current)
    ) {
      path.push(current);
      onPath.add(current);
      current = parents.get(current) ?? null;
    }
    let next = current !== null && depth.has(current) ? depth.get(current)! + 1 : 0;
    for (const code of path.reverse()) depth.set(code, next++);
  }
  return depth;
}
