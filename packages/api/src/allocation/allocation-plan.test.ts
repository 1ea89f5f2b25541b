import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { planAllocation, type AllocationState, type PlanStep } from './allocation-plan';
import { planText } from './allocation-plan-text';
import type { AllocationRuleVersionValue, CostCenterValue } from './allocation-types';
import { allocationFileOf } from './allocation-yaml-export';
import type { AllocationFile, AllocationFileRule } from './allocation-yaml-check';
import { checkAllocationFile } from './allocation-yaml-check';

const AT = new Date('2026-11-01T00:00:00Z');
/** Rule ids the fake store hands out, unique across stores (a store starts from another's state). */
let nextRuleId = 0;

/**
 * An in-memory allocation store that refuses what the service refuses one step at a time:
 * unknown or cyclic parents, a deactivated or unknown target, two rules in force at one
 * priority. The planner's steps must pass it in their order.
 */
class FakeStore {
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

function costCenter(
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

function rule(
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

const BASE: AllocationState = {
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

function applyAll(state: AllocationState, file: AllocationFile): AllocationState {
  const plan = planAllocation(file, state);
  expect(plan.problems).toEqual([]);
  const store = new FakeStore(state);
  for (const step of plan.steps) store.apply(step);
  return store.state();
}

describe('planAllocation', () => {
  it('should plan nothing for the export of the same state (weights compared as decimals)', () => {
    const file = allocationFileOf(BASE.costCenters, BASE.rules);
    file.rules[1].targets[1].weight = '50.00';
    const plan = planAllocation(file, BASE);
    expect(plan).toEqual({ steps: [], problems: [] });
    expect(planText(plan)).toBe('No changes: the stored allocation matches the file.\n');
  });

  it('should create parents before children, update, and deactivate children before parents', () => {
    const file = allocationFileOf(BASE.costCenters, BASE.rules);
    file.costCenters = [
      { code: 'CC-NEW-CHILD', name: 'child', parent: 'CC-NEW', glAccount: null, owner: null },
      { code: 'CC-NEW', name: 'new', parent: null, glAccount: '7000', owner: 'ops' },
      { code: 'CC-A', name: 'renamed', parent: 'CC-NEW', glAccount: null, owner: null },
    ];
    file.rules = [
      { name: 'a', priority: 10, method: 'DIRECT', match: {}, targets: [{ costCenter: 'CC-A' }] },
    ];
    const plan = planAllocation(file, BASE);
    expect(
      plan.steps.map(
        (step) =>
          step.kind +
          ' ' +
          ('code' in step
            ? step.code
            : 'input' in step
              ? ((step.input as { code?: string; name: string }).code ?? step.input.name)
              : step.name),
      ),
    ).toEqual([
      'createCostCenter CC-NEW',
      'updateCostCenter CC-A',
      'createCostCenter CC-NEW-CHILD',
      'deleteRule b',
      'deactivateCostCenter CC-B',
      'deactivateCostCenter CC-ROOT',
    ]);
    expect(planText(plan)).toBe(
      [
        '  + cost center CC-NEW "new" (a root, glAccount "7000", owner "ops")',
        '  ~ cost center CC-A: name "CC-A" → "renamed"; parent "CC-ROOT" → "CC-NEW"',
        '  + cost center CC-NEW-CHILD "child" (parent CC-NEW)',
        '  - rule "b" (delete: not in the file)',
        '  - cost center CC-B (deactivate: not in the file)',
        '  - cost center CC-ROOT (deactivate: not in the file)',
        'Plan: cost centers 2 to create, 1 to update, 2 to deactivate; rules 0 to create, 0 to update, 1 to delete.',
        '',
      ].join('\n'),
    );
    applyAll(BASE, file);
  });

  it('should swap two priorities through a temporary one, and shift a chain without', () => {
    const file = allocationFileOf(BASE.costCenters, BASE.rules);
    file.rules[0].priority = 20;
    file.rules[1].priority = 10;
    const swap = planAllocation(file, BASE);
    expect(
      swap.steps.map((step) =>
        step.kind === 'updateRule' ? `${step.name} ${step.input.priority}` : step.kind,
      ),
    ).toEqual(['a 1000000', 'b 10', 'a 20']);
    expect(planText(swap)).toContain('~ rule "a": priority 10 → 1000000 (for now: frees 10)');
    expect(planText(swap)).toContain('~ rule "a": priority 1000000 → 20\n');
    expect(planText(swap)).toContain('rules 0 to create, 2 to update, 0 to delete.');
    const after = applyAll(BASE, file);
    expect(planAllocation(file, after).steps).toEqual([]);

    const chain = allocationFileOf(BASE.costCenters, BASE.rules);
    chain.rules[0].priority = 20;
    chain.rules[1].priority = 30;
    chain.rules.push({
      name: 'c',
      priority: 10,
      method: 'EVEN',
      match: { team: 't' },
      targets: [{ costCenter: 'CC-B' }, { costCenter: 'CC-A' }],
    });
    const shift = planAllocation(chain, BASE);
    expect(
      shift.steps.map((step) =>
        step.kind === 'updateRule'
          ? `${step.name} ${step.input.priority}`
          : step.kind === 'createRule'
            ? `+${step.input.name}`
            : step.kind,
      ),
    ).toEqual(['b 30', 'a 20', '+c']);
  });

  it('should refuse to reactivate a deactivated cost center, and rules it cannot tell apart', () => {
    const state: AllocationState = {
      costCenters: [...BASE.costCenters, costCenter('CC-OLD', null, { active: false })],
      rules: [...BASE.rules, rule('a', 30, { id: 'other-a' })],
    };
    const file = allocationFileOf(BASE.costCenters, BASE.rules);
    file.costCenters.push({
      code: 'CC-OLD',
      name: 'old',
      parent: null,
      glAccount: null,
      owner: null,
    });
    const plan = planAllocation(file, state);
    expect(plan.steps).toEqual([]);
    expect(plan.problems).toEqual([
      'costCenters[3].code: cost center "CC-OLD" is deactivated and cannot be reactivated; give it a new code',
      'rules: two rules in force are named "a" (ids a, other-a); rename one through the API, rules are matched by name',
    ]);
    expect(planText(plan)).toMatch(/^The file cannot be applied:\n {2}costCenters\[3\]/);
  });

  const codes = ['CC-1', 'CC-2', 'CC-3', 'CC-4', 'CC-5'];
  const fileArbitrary = fc
    .record({
      parents: fc.array(fc.option(fc.nat({ max: 4 }), { nil: null }), {
        minLength: 5,
        maxLength: 5,
      }),
      present: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      names: fc.array(fc.constantFrom('n1', 'n2'), { minLength: 5, maxLength: 5 }),
      rules: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
          priority: fc.nat({ max: 5 }),
          method: fc.constantFrom('DIRECT', 'EVEN', 'FIXED'),
          first: fc.nat({ max: 4 }),
        }),
        { selector: (entry) => entry.name, maxLength: 4 },
      ),
    })
    .map(({ parents, present, names, rules }): AllocationFile => {
      // Parents only point at lower indexes: a tree, whatever was drawn.
      const costCenters = codes
        .map((code, index) => ({
          code,
          name: names[index],
          parent:
            parents[index] !== null && parents[index]! < index && present[parents[index]!]
              ? codes[parents[index]!]
              : null,
          glAccount: null,
          owner: null,
        }))
        .filter((_, index) => present[index]);
      const available = costCenters.map((entry) => entry.code);
      const seen = new Set<number>();
      const fileRules: AllocationFileRule[] =
        available.length === 0
          ? []
          : rules
              .filter((entry) => !seen.has(entry.priority) && seen.add(entry.priority))
              .map((entry) => {
                const first = available[entry.first % available.length];
                const second = available.find((code) => code !== first);
                if (entry.method === 'DIRECT' || !second)
                  return {
                    name: entry.name,
                    priority: entry.priority,
                    method: 'DIRECT',
                    match: {},
                    targets: [{ costCenter: first }],
                  };
                return entry.method === 'EVEN'
                  ? {
                      name: entry.name,
                      priority: entry.priority,
                      method: 'EVEN',
                      match: { team: entry.name },
                      targets: [{ costCenter: first }, { costCenter: second }],
                    }
                  : {
                      name: entry.name,
                      priority: entry.priority,
                      method: 'FIXED',
                      match: {},
                      targets: [
                        { costCenter: first, weight: '30' },
                        { costCenter: second, weight: new Money(70).toFixed() },
                      ],
                    };
              });
      return { version: '1', costCenters, rules: fileRules };
    });

  it('should bring any valid state to any valid file, step by step, then plan nothing', () => {
    fc.assert(
      fc.property(fileArbitrary, fileArbitrary, (before, after) => {
        expect(checkAllocationFile(before)).toEqual([]);
        expect(checkAllocationFile(after)).toEqual([]);
        const start = applyAll({ costCenters: [], rules: [] }, before);
        expect(planAllocation(before, start)).toEqual({ steps: [], problems: [] });
        // A cost center deactivated by `before` cannot come back: leave those out of `after`.
        const gone = new Set(
          start.costCenters.filter((entry) => !entry.active).map((entry) => entry.code),
        );
        if (after.costCenters.some((entry) => gone.has(entry.code))) return;
        const end = applyAll(start, after);
        expect(planAllocation(after, end)).toEqual({ steps: [], problems: [] });
        expect(allocationFileOf(end.costCenters, end.rules)).toEqual(
          allocationFileOf(
            after.costCenters.map((entry) =>
              costCenter(entry.code, entry.parent, { name: entry.name }),
            ),
            after.rules.map((entry) => rule(entry.name, entry.priority, entry)),
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});
