// Test helpers of the rules-as-code planner; not used by the service.
import { planAllocation, type AllocationState, type PlanStep } from './allocation-plan';
import type { AllocationRuleVersionValue, CostCenterValue } from './allocation-types';
import type { AllocationFile } from './allocation-yaml-check';

export const AT = new Date('2026-11-01T00:00:00Z');
/** Rule ids the fake store hands out, unique across stores (a store starts from another's state). */
let nextRuleId = 0;

/**
 * An in-memory allocation store that refuses what the service refuses one step at a time:
 * unknown or cyclic parents, a deactivated or unknown target, two rules in force at one
 * priority. The planner's steps must pass it in their order.
 */
export class FakeStore {
  costCenters = new Map<string, CostCenterValue>();
  rules = new Map<string, AllocationRuleVersionValue>();

  constructor(state: AllocationState) {
    for (const costCenter of state.costCenters)
      this.costCenters.set(costCenter.code, { ...costCenter });
    for (const rule of state.rules) this.rules.set(rule.id, { ...rule });
  }

  state(): AllocationState {
    return { costCenters: [...this.costCenters.values()], rules: [...this.rules.values()] };
  }

  private checkParent(code: string, parent: string | null | undefined) {
    if (parent === null || parent === undefined) return;
    if (!this.costCenters.has(parent))
      throw new Error(`parentCode: unknown cost center "${parent}"`);
    for (
      let at: string | null = parent;
      at !== null;
      at = this.costCenters.get(at)?.parentCode ?? null
    ) {
      if (at === code) throw new Error(`parentCode: cycle through ${code}`);
    }
  }

  private checkRule(id: string | null, priority: number, targets: { costCenter: string }[]) {
    for (const rule of this.rules.values()) {
      if (rule.id !== id && rule.priority === priority) {
        throw new Error(
          `priority: rule "${rule.name}" has priority ${priority} in force at the same time`,
        );
      }
    }
    for (const target of targets) {
      if (!this.costCenters.get(target.costCenter)?.active)
        throw new Error(`target ${target.costCenter} not active`);
    }
  }

  apply(step: PlanStep) {
    switch (step.kind) {
      case 'createCostCenter': {
        const { input } = step;
        if (this.costCenters.has(input.code))
          throw new Error(`cost center "${input.code}" already exists`);
        this.checkParent(input.code, input.parentCode);
        this.costCenters.set(input.code, {
          id: input.code,
          code: input.code,
          name: input.name,
          parentCode: input.parentCode ?? null,
          glAccount: input.glAccount ?? null,
          owner: input.owner ?? null,
          active: true,
          createdAt: AT,
          deactivatedAt: null,
        });
        return;
      }
      case 'updateCostCenter': {
        const current = this.costCenters.get(step.code)!;
        if ('parentCode' in step.patch) this.checkParent(step.code, step.patch.parentCode);
        this.costCenters.set(step.code, { ...current, ...step.patch } as CostCenterValue);
        return;
      }
      case 'deactivateCostCenter':
        this.costCenters.get(step.code)!.active = false;
        return;
      case 'deleteRule':
        this.rules.delete(step.id);
        return;
      case 'createRule':
      case 'updateRule': {
        const id = step.kind === 'updateRule' ? step.id : `new-${(nextRuleId += 1)}`;
        this.checkRule(id, step.input.priority, step.input.targets);
        this.rules.set(
          id,
          rule(step.input.name, step.input.priority, {
            id,
            method: step.input.method,
            targets: step.input.targets,
            match: step.input.match ?? {},
          }),
        );
      }
    }
  }
}

export function costCenter(
  code: string,
  parentCode: string | null,
  extra: Partial<CostCenterValue> = {},
): CostCenterValue {
  return {
    id: code,
    code,
    name: code,
    parentCode,
    glAccount: null,
    owner: null,
    active: true,
    createdAt: AT,
    deactivatedAt: null,
    ...extra,
  };
}

export function rule(
  name: string,
  priority: number,
  extra: Partial<AllocationRuleVersionValue> = {},
): AllocationRuleVersionValue {
  return {
    id: name,
    version: 1,
    name,
    priority,
    match: {},
    method: 'DIRECT',
    targets: [{ costCenter: 'CC-A' }],
    effectiveFrom: AT,
    effectiveTo: null,
    deleted: false,
    recordedAt: AT,
    recordedBy: null,
    ...extra,
  };
}

export const BASE: AllocationState = {
  costCenters: [
    costCenter('CC-ROOT', null),
    costCenter('CC-A', 'CC-ROOT'),
    costCenter('CC-B', 'CC-ROOT', { glAccount: '6100' }),
  ],
  rules: [
    rule('a', 10),
    rule('b', 20, {
      method: 'FIXED',
      targets: [
        { costCenter: 'CC-A', weight: '50' },
        { costCenter: 'CC-B', weight: '50.0' },
      ],
    }),
  ],
};

export function applyAll(state: AllocationState, file: AllocationFile): AllocationState {
  const plan = planAllocation(file, state);
  if (plan.problems.length > 0) throw new Error(`plan problems: ${plan.problems.join('; ')}`);
  const store = new FakeStore(state);
  for (const step of plan.steps) store.apply(step);
  return store.state();
}
