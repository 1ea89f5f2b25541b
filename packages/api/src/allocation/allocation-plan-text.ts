import type { AllocationPlan, PlanStep } from './allocation-plan';
import { targetsText } from './allocation-plan';

const quote = (value: string | null | undefined) =>
  value === null || value === undefined ? 'none' : JSON.stringify(value);

/** One line of a plan: `+` create, `~` update, `-` delete or deactivate. */
export function stepText(step: PlanStep): string {
  switch (step.kind) {
    case 'createCostCenter': {
      const { input } = step;
      const details = [
        input.parentCode ? `parent ${input.parentCode}` : 'a root',
        input.glAccount ? `glAccount ${quote(input.glAccount)}` : null,
        input.owner ? `owner ${quote(input.owner)}` : null,
      ].filter((detail) => detail !== null);
      return `+ cost center ${input.code} ${quote(input.name)} (${details.join(', ')})`;
    }
    case 'updateCostCenter':
      return `~ cost center ${step.code}: ${step.changes.join('; ')}`;
    case 'deactivateCostCenter':
      return `- cost center ${step.code} (deactivate: not in the file)`;
    case 'createRule': {
      const { input } = step;
      const match =
        input.match && Object.keys(input.match).length > 0
          ? JSON.stringify(input.match)
          : 'everything';
      return `+ rule ${quote(input.name)}: priority ${input.priority}, ${input.method} to ${targetsText(input.targets)}, matches ${match}`;
    }
    case 'updateRule':
      return `~ rule ${quote(step.name)}: ${step.changes.join('; ')}`;
    case 'deleteRule':
      return `- rule ${quote(step.name)} (delete: not in the file)`;
  }
}

/** The counts of a plan's changes (temporary steps are not changes of their own). */
export function planCounts(plan: AllocationPlan) {
  const count = (kind: PlanStep['kind']) =>
    plan.steps.filter(
      (step) => step.kind === kind && !(step.kind === 'updateRule' && step.temporary),
    ).length;
  return {
    costCenters: {
      create: count('createCostCenter'),
      update: count('updateCostCenter'),
      deactivate: count('deactivateCostCenter'),
    },
    rules: {
      create: count('createRule'),
      update: count('updateRule'),
      delete: count('deleteRule'),
    },
  };
}

/** The whole plan as `plan` prints it: every step in apply order, then the counts. */
export function planText(plan: AllocationPlan): string {
  if (plan.problems.length > 0) {
    return `The file cannot be applied:\n${plan.problems.map((problem) => `  ${problem}`).join('\n')}\n`;
  }
  if (plan.steps.length === 0) return 'No changes: the stored allocation matches the file.\n';
  const counts = planCounts(plan);
  return (
    plan.steps.map((step) => `  ${stepText(step)}\n`).join('') +
    `Plan: cost centers ${counts.costCenters.create} to create, ${counts.costCenters.update} to update, ${counts.costCenters.deactivate} to deactivate; ` +
    `rules ${counts.rules.create} to create, ${counts.rules.update} to update, ${counts.rules.delete} to delete.\n`
  );
}
