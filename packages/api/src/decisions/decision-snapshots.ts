import type { BudgetCache } from '../budgets/budget-cache';
import { withCounters } from '../budgets/budget-cache';
import type { HoldRequest, HoldResult } from '../budgets/budget-ledger';
import type { BudgetService, BudgetState } from '../budgets/budget.service';
import { plus } from '@purser/pricing';
import type { VelocityService } from '../velocity/velocity.service';
import type { DecisionContext, Snapshot } from './decision-context';

/** Where a decision's snapshot is read for (a `DecisionContext` is one). */
export type SnapshotHolder = Pick<DecisionContext, 'attribution' | 'now' | 'snapshot'>;

/**
 * The counters decisions stand on: those this replica remembers, those read from the
 * database, and those a hold saw under lock. What is read or seen exactly is remembered for
 * the next decisions in named steps (`rememberRead`, `rememberHeld`); the reads themselves
 * only read.
 */
export class DecisionSnapshots {
  constructor(
    private readonly sources: {
      budgets: BudgetService;
      budgetCache: BudgetCache;
      velocity: VelocityService;
    },
  ) {}

  /**
   * Takes the remembered counters as the decision's snapshot; false (and nothing taken) when
   * one is unknown or older than the staleness bound.
   */
  async readCached(decision: SnapshotHolder): Promise<boolean> {
    const [budgets, velocity] = await Promise.all([
      this.sources.budgetCache.applicable(decision.attribution, decision.now),
      this.sources.velocity.cachedApplicable(decision.attribution, decision.now),
    ]);
    if (budgets.stale || velocity.stale) return false;
    decision.snapshot = { budgets: budgets.budgets, velocity: velocity.velocity, exact: false };
    return true;
  }

  /**
   * Takes the counters in the database as the decision's snapshot, and remembers them
   * (`rememberRead`; velocity's own read remembers its counters).
   */
  async readFresh(decision: SnapshotHolder): Promise<void> {
    const [budgets, velocity] = await Promise.all([
      this.sources.budgets.applicable(decision.attribution, decision.now),
      this.sources.velocity.applicable(decision.attribution, decision.now),
    ]);
    const snapshot: Snapshot = { budgets, velocity, exact: true };
    this.rememberRead(snapshot);
    decision.snapshot = snapshot;
  }

  /** Remembers the budget counters of a fresh read for the next decisions. */
  rememberRead(snapshot: Snapshot): void {
    for (const budget of snapshot.budgets)
      this.sources.budgetCache.observe(
        budget.id,
        budget.windowStart,
        budget.spent,
        budget.reserved,
      );
  }

  /**
   * Remembers the counters a hold saw under lock, with its own increment when it was placed:
   * those of the budgets it held and of every velocity counter of `snapshot` (the one it was
   * asked on).
   */
  rememberHeld(snapshot: Snapshot, request: HoldRequest, result: HoldResult): void {
    request.budgets.forEach((budget, index) => {
      const reserved = result.reserved[index]!;
      this.sources.budgetCache.observe(
        budget.id,
        budget.windowStart,
        result.spent[index]!,
        result.ok ? plus(reserved, request.amount) : reserved,
      );
    });
    snapshot.velocity.forEach((state, index) => {
      const current = result.counted[index] ?? state.current;
      this.sources.velocity.observe(
        state,
        result.ok ? plus(current, request.counters[index]!.amount) : current,
      );
    });
  }
}

/**
 * The counters a hold saw under lock, before its own increment: `snapshot` with the budgets
 * it held (`held`, in the order sent) and every velocity counter as the hold answered them.
 */
export function countersSeenByHold(
  snapshot: Snapshot,
  held: readonly BudgetState[],
  result: HoldResult,
): Snapshot {
  const seen = new Map<string, number>();
  held.forEach((budget, index) => seen.set(budget.id, index));
  const budgets = snapshot.budgets.map((budget) => {
    const index = seen.get(budget.id);
    if (index === undefined) return budget;
    return withCounters(budget, result.spent[index]!, result.reserved[index]!);
  });
  const velocity = snapshot.velocity.map((state, index) => ({
    ...state,
    current: result.counted[index] ?? state.current,
  }));
  return { budgets, velocity, exact: true };
}
