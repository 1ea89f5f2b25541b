import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { planAllocation } from './allocation-plan';
import { applyAll, costCenter, rule } from './allocation-plan-testing';
import { allocationFileOf } from './allocation-yaml-export';
import type { AllocationFile, AllocationFileRule } from './allocation-yaml-check';
import { checkAllocationFile } from './allocation-yaml-check';

describe('planAllocation on generated states and files', () => {
  const codes = ['CC-1', 'CC-2', 'CC-3', 'CC-4', 'CC-5'];
  const fileArbitrary = fc
    .record({
      parents: fc.array(fc.option(fc.nat({ max: 4 }), { nil: null }), {
        minLength: 5,
        maxLength: 5,
      }),
      present: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      active: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
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
    .map(({ parents, present, active, names, rules }): AllocationFile => {
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
          active: active[index],
        }))
        .filter((_, index) => present[index]);
      // New or changed rules may only take active cost centers (as the service says).
      const available = costCenters.filter((entry) => entry.active).map((entry) => entry.code);
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
        // A cost center deactivated by `before` cannot come back as active.
        const gone = new Set(
          start.costCenters.filter((entry) => !entry.active).map((entry) => entry.code),
        );
        if (after.costCenters.some((entry) => entry.active && gone.has(entry.code))) return;
        const end = applyAll(start, after);
        expect(planAllocation(after, end)).toEqual({ steps: [], problems: [] });
        expect(allocationFileOf(end.costCenters, end.rules)).toEqual(
          allocationFileOf(
            after.costCenters.map((entry) =>
              costCenter(entry.code, entry.parent, { name: entry.name, active: entry.active }),
            ),
            after.rules.map((entry) => rule(entry.name, entry.priority, entry)),
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});
