import type { AllocationRuleInputValue } from './allocation-types';

/** A rule change of a plan. */
export type RuleStep =
  | { kind: 'createRule'; input: AllocationRuleInputValue }
  | {
      kind: 'updateRule';
      id: string;
      name: string;
      /** The priority the rule holds when this step runs. */
      fromPriority: number;
      input: AllocationRuleInputValue;
      changes: string[];
      /**
       * A step only there to free a priority for another rule (two rules swapping
       * priorities): the rule's new version at a free priority, updated again later.
       */
      temporary: boolean;
    }
  | { kind: 'deleteRule'; id: string; name: string; priority: number };

const MAX_PRIORITY = 1_000_000;

/**
 * Orders rule updates and creates so that no step gives a rule a priority another rule in
 * force still holds (the service refuses duplicate priorities at every step): a step waits
 * until its priority is freed by the step moving its holder away. When every waiting step
 * waits on another (a cycle: two rules swapping priorities), the holder blocking the lowest
 * waited-for priority first moves to a free priority (a `temporary` step with its new
 * content), then everything proceeds. Linear in the steps (each waits on one priority).
 *
 * `kept` is every file rule that exists already, at its current priority (after deletes);
 * `fileRules` gives the priorities the file will use (never picked as temporary ones).
 */
export function orderRuleSteps(
  writes: readonly RuleStep[],
  kept: readonly { name: string; priority: number }[],
  fileRules: readonly { priority: number }[],
): RuleStep[] {
  const holder = new Map<number, string>(kept.map((rule) => [rule.priority, rule.name]));
  const used = new Set<number>([...holder.keys(), ...fileRules.map((rule) => rule.priority)]);
  const pendingUpdate = new Map<string, Extract<RuleStep, { kind: 'updateRule' }>>();
  const waiting = new Map<number, RuleStep>();
  const ready: RuleStep[] = [];
  const target = (step: RuleStep) =>
    step.kind === 'deleteRule' ? step.priority : step.input.priority;
  const nameOf = (step: RuleStep) => (step.kind === 'createRule' ? step.input.name : step.name);
  for (const step of writes) {
    if (step.kind === 'updateRule') pendingUpdate.set(step.name, step);
    const current = holder.get(target(step));
    if (current === undefined || current === nameOf(step)) ready.push(step);
    else waiting.set(target(step), step);
  }
  const ordered: RuleStep[] = [];
  let freeCandidate = MAX_PRIORITY;
  const release = (priority: number) => {
    holder.delete(priority);
    const next = waiting.get(priority);
    if (next) {
      waiting.delete(priority);
      ready.push(next);
    }
  };
  for (;;) {
    const step = ready.shift();
    if (step) {
      ordered.push(step);
      if (step.kind === 'updateRule') {
        pendingUpdate.delete(step.name);
        if (step.fromPriority !== step.input.priority) release(step.fromPriority);
      }
      holder.set(target(step), nameOf(step));
      continue;
    }
    if (waiting.size === 0) break;
    // A cycle: move the holder of the lowest waited-for priority to a free one.
    const blocked = Math.min(...waiting.keys());
    const blocker = pendingUpdate.get(holder.get(blocked) ?? '');
    // Only a rule still to be updated can hold a priority another step waits for, unless
    // the file gave one priority twice (checkAllocationFile refuses that first).
    if (!blocker) throw new Error(`priority ${blocked} is wanted by two rules`);
    while (used.has(freeCandidate)) freeCandidate -= 1;
    const temporary = freeCandidate;
    used.add(temporary);
    ordered.push({
      ...blocker,
      input: { ...blocker.input, priority: temporary },
      changes: [`priority ${blocker.fromPriority} → ${temporary} (for now: frees ${blocked})`],
      temporary: true,
    });
    holder.set(temporary, blocker.name);
    release(blocker.fromPriority);
    const moved = `priority ${blocker.fromPriority} → `;
    blocker.changes = blocker.changes.map((change) =>
      change.startsWith(moved) ? `priority ${temporary} → ${blocker.input.priority}` : change,
    );
    blocker.fromPriority = temporary;
  }
  return ordered;
}
