import { Money } from '@purser/pricing';
import { PurserError } from '../errors';
import type { AllocationMatchValue, AllocationMethodName } from './allocation-types';
import { validateCostCenterInput, validateRule } from './allocation-validate';

/** A cost center as an allocation file states it (the whole tree is in the file). */
export interface AllocationFileCostCenter {
  code: string;
  name: string;
  parent: string | null;
  glAccount: string | null;
  owner: string | null;
  /**
   * False (`active: false`) for a deactivated cost center the file still needs: a parent of
   * an active one, or a target of a rule it keeps. Absent in the file means true.
   */
  active: boolean;
}

/** A rule as an allocation file states it; its `name` identifies it (unique in the file). */
export interface AllocationFileRule {
  name: string;
  priority: number;
  method: AllocationMethodName;
  match: AllocationMatchValue;
  targets: { costCenter: string; weight?: string }[];
}

/** A whole allocation file, read and shape-checked: the desired state. */
export interface AllocationFile {
  version: '1';
  costCenters: AllocationFileCostCenter[];
  rules: AllocationFileRule[];
}

const HUNDRED = new Money(100);

/**
 * The meaning of a file, checked without the database (the service checks again on apply),
 * with the service's own validation of each rule and cost center (`allocation-validate`):
 * cost-center codes unique, parents in the file and no cycle; rule names and priorities
 * unique; targets are cost centers of the file, each once; DIRECT has one target; only
 * FIXED takes weights, each above 0, summing to exactly 100. Answers the problems, each
 * naming its path; linear in the file's size.
 */
export function checkAllocationFile(file: AllocationFile): string[] {
  const problems: string[] = [];
  const codes = new Map<string, number>();
  file.costCenters.forEach((costCenter, index) => {
    if (codes.has(costCenter.code)) {
      problems.push(
        `costCenters[${index}].code: "${costCenter.code}" is listed twice (also costCenters[${codes.get(costCenter.code)}])`,
      );
    } else {
      codes.set(costCenter.code, index);
    }
  });
  const parents = new Map(
    file.costCenters.map((costCenter) => [costCenter.code, costCenter.parent]),
  );
  file.costCenters.forEach((costCenter, index) => {
    if (costCenter.parent !== null && !codes.has(costCenter.parent)) {
      problems.push(`costCenters[${index}].parent: unknown cost center "${costCenter.parent}"`);
    }
  });
  problems.push(...parentCycles(file.costCenters, parents, codes));

  const names = new Map<string, number>();
  const priorities = new Map<number, number>();
  file.rules.forEach((rule, index) => {
    const at = `rules[${index}]`;
    const sameName = names.get(rule.name);
    if (sameName !== undefined) {
      problems.push(`${at}.name: "${rule.name}" is listed twice (also rules[${sameName}])`);
    } else names.set(rule.name, index);
    const samePriority = priorities.get(rule.priority);
    if (samePriority !== undefined) {
      problems.push(
        `${at}.priority: rule "${file.rules[samePriority].name}" has priority ${rule.priority} too`,
      );
    } else priorities.set(rule.priority, index);
    const targetProblems = checkTargets(rule, at, codes);
    problems.push(...targetProblems);
    // The service's own check of one rule, the one `apply` meets (U+0000, lengths, tags…).
    if (targetProblems.length === 0) {
      const problem = serviceProblem(() =>
        validateRule(
          { ...rule, effectiveFrom: null },
          (code) => (codes.has(code) ? { active: true } : undefined),
          { path: `${at}.` },
        ),
      );
      if (problem) problems.push(problem);
    }
  });
  file.costCenters.forEach((costCenter, index) => {
    const problem = serviceProblem(() =>
      validateCostCenterInput({ ...costCenter, parentCode: costCenter.parent }),
    );
    if (problem) problems.push(`costCenters[${index}].${problem}`);
  });
  return problems;
}

/** The message of the service's validation error `check` throws, if it throws one. */
function serviceProblem(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof PurserError && error.code === 'BAD_USER_INPUT') return error.message;
    throw error;
  }
}

function checkTargets(
  rule: AllocationFileRule,
  at: string,
  codes: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let weightSum = new Money(0);
  rule.targets.forEach((target, index) => {
    const where = `${at}.targets[${index}]`;
    if (!codes.has(target.costCenter)) {
      problems.push(`${where}.costCenter: unknown cost center "${target.costCenter}"`);
    }
    if (seen.has(target.costCenter)) {
      problems.push(`${where}.costCenter: "${target.costCenter}" is listed twice`);
    }
    seen.add(target.costCenter);
    if (rule.method !== 'FIXED') {
      if (target.weight !== undefined) problems.push(`${where}.weight: only FIXED takes weights`);
      return;
    }
    if (target.weight === undefined) {
      problems.push(`${where}.weight: FIXED needs a weight (a percent) for every target`);
      return;
    }
    const weight = new Money(target.weight);
    if (!weight.greaterThan(0)) problems.push(`${where}.weight: must be greater than 0`);
    weightSum = weightSum.plus(weight);
  });
  if (rule.method === 'DIRECT' && rule.targets.length !== 1) {
    problems.push(`${at}.targets: DIRECT takes exactly one target (got ${rule.targets.length})`);
  }
  if (
    rule.method === 'FIXED' &&
    rule.targets.every((target) => target.weight !== undefined) &&
    !weightSum.equals(HUNDRED)
  ) {
    problems.push(
      `${at}.targets: FIXED weights must sum to exactly 100 (got ${weightSum.toFixed()})`,
    );
  }
  return problems;
}

/** Each cycle of parents once, named at its first cost center in the file (linear). */
function parentCycles(
  costCenters: readonly AllocationFileCostCenter[],
  parents: ReadonlyMap<string, string | null>,
  codes: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  // 0 unvisited, 1 on the current walk, 2 done.
  const state = new Map<string, number>();
  for (const start of costCenters) {
    const walk: string[] = [];
    let current: string | null = start.code;
    while (current !== null && codes.has(current) && (state.get(current) ?? 0) === 0) {
      state.set(current, 1);
      walk.push(current);
      current = parents.get(current) ?? null;
    }
    if (current !== null && state.get(current) === 1) {
      const cycle = walk.slice(walk.indexOf(current));
      const first = Math.min(...cycle.map((code) => codes.get(code) ?? 0));
      problems.push(`costCenters[${first}].parent: a cycle (${[...cycle, current].join(' → ')})`);
    }
    for (const code of walk) state.set(code, 2);
  }
  return problems;
}
