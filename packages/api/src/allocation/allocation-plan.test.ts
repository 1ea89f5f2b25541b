import { planAllocation, type AllocationState } from './allocation-plan';
import { planText } from './allocation-plan-text';
import { BASE, applyAll, costCenter, rule } from './allocation-plan-testing';
import { allocationFileOf } from './allocation-yaml-export';

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
      {
        code: 'CC-NEW-CHILD',
        name: 'child',
        parent: 'CC-NEW',
        glAccount: null,
        owner: null,
        active: true,
      },
      { code: 'CC-NEW', name: 'new', parent: null, glAccount: '7000', owner: 'ops', active: true },
      {
        code: 'CC-A',
        name: 'renamed',
        parent: 'CC-NEW',
        glAccount: null,
        owner: null,
        active: true,
      },
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
      active: true,
    });
    const plan = planAllocation(file, state);
    expect(plan.steps).toEqual([]);
    expect(plan.problems).toEqual([
      'costCenters[3].code: cost center "CC-OLD" is deactivated and cannot be reactivated; give it a new code (or mark it active: false)',
      'rules: two rules in force are named "a" (ids a, other-a); rename one through the API, rules are matched by name',
    ]);
    expect(planText(plan)).toMatch(/^The file cannot be applied:\n {2}costCenters\[3\]/);
  });

  it('should keep a deactivated cost center the file marks active: false, and refuse it as a new target', () => {
    const state: AllocationState = {
      costCenters: [
        costCenter('CC-ROOT', null, { active: false }),
        costCenter('CC-A', 'CC-ROOT'),
        costCenter('CC-B', 'CC-ROOT'),
      ],
      rules: [rule('a', 10, { targets: [{ costCenter: 'CC-B' }] })],
    };
    // CC-B deactivated while rule "a" still names it: the export keeps both, marked.
    state.costCenters[2].active = false;
    const file = allocationFileOf(state.costCenters, state.rules);
    expect(file.costCenters.map((entry) => [entry.code, entry.active])).toEqual([
      ['CC-ROOT', false],
      ['CC-A', true],
      ['CC-B', false],
    ]);
    expect(planAllocation(file, state)).toEqual({ steps: [], problems: [] });
    file.rules[0].priority = 11;
    expect(planAllocation(file, state).problems).toEqual([
      'rules[0].targets[0].costCenter: cost center "CC-B" is deactivated (a new or changed rule cannot take it)',
    ]);
    file.rules = [];
    file.costCenters[1].active = false;
    expect(planAllocation(file, state).steps.map((step) => step.kind)).toEqual([
      'deleteRule',
      'deactivateCostCenter',
    ]);
  });
});
