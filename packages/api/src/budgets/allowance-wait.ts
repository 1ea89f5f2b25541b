import { performance } from 'node:perf_hooks';

/** How long a hold refused on room lent as allowances waits before it is tried again. */
export const ALLOWANCE_RETRY_MS = 25;

/**
 * One decision's wait for room lent to replicas as allowances (docs/0005): each budget that
 * refuses a hold on lent room is asked for it back once, and the wait is bounded from the
 * first such refusal. Made by the caller per decision, passed to
 * {@link BudgetLedger.holdOrWait} for every hold of that decision.
 */
export class AllowanceWait {
  private readonly yieldedBudgets = new Set<string>();
  private boundMs: number | undefined;
  private waitingSince = 0;

  /** Whether `budgetId` has not been asked for its lent room yet (and marks it asked). */
  firstRefusalOf(budgetId: string): boolean {
    if (this.yieldedBudgets.has(budgetId)) return false;
    this.yieldedBudgets.add(budgetId);
    return true;
  }

  /** Starts the bound on the first refusal: `allowanceLifeMs` from now. */
  startOnce(allowanceLifeMs: number): void {
    if (this.boundMs !== undefined) return;
    this.boundMs = allowanceLifeMs;
    this.waitingSince = performance.now();
  }

  /** Whether a wait has started and is still within its bound. */
  withinBound(): boolean {
    return this.boundMs !== undefined && performance.now() - this.waitingSince < this.boundMs;
  }
}

/** Waits before a hold refused on lent room is tried again. */
export function pauseForAllowances(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ALLOWANCE_RETRY_MS));
}
