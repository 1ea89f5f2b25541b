import type { WireAttribution } from '../attribution/scope';
import type { BudgetState } from './budget.service';

/** A conditional counter increment taken with a hold (velocity limits). */
export interface CounterIncrement {
  limitId: string;
  scopeValue: string;
  windowStart: Date;
  amount: string;
  limit: string;
}

export interface HoldRequest {
  reservationId: string;
  decisionId: string;
  amount: string;
  currency: string;
  /** Budgets to hold on; the limit and mode that count are read under lock in the database. */
  budgets: BudgetState[];
  counters: CounterIncrement[];
  attribution: WireAttribution;
  now: Date;
  expiresAt: Date;
  /**
   * The API key placing the hold: only it (or an admin) may release it, and only usage it
   * sends (or usage from a trusted channel) settles it. None: bound to no key.
   */
  keyId?: string | null;
}

/**
 * What a hold found: whether it was placed (or which budget or limit refused it), and the
 * counters it saw under lock just before its own increment, in the order of the request's
 * budgets and counters — the exact state the decision must be made on.
 */
export interface HoldResult {
  ok: boolean;
  /** Placed in memory within this replica's allowances (docs/0005); written behind. */
  local?: boolean;
  budgetId?: string;
  /** Refused only because of room lent to replicas as allowances: it would fit without it. */
  allowances?: boolean;
  limitId?: string;
  spent: string[];
  reserved: string[];
  counted: string[];
}

/**
 * What `BudgetLedger.holdOrWait` answers: the hold's result, or `waited` when it was refused
 * only on room lent as allowances, that room was asked back and the wait done — the caller
 * reads the counters fresh and decides again (the amount may change), and that try does not
 * count as one of its attempts.
 */
export type HoldAttempt = { waited: false; held: HoldResult } | { waited: true };

/**
 * Holds placed in memory within this replica's allowances (docs/0005), as the ledger uses
 * them; `HoldAllowances` is the implementation.
 */
export interface InMemoryHolds {
  /**
   * Places `request` in memory when its allowances cover it, or when it holds on no budget and
   * no velocity counter (nothing could refuse it); otherwise null (the exact path).
   */
  tryHold(request: HoldRequest): HoldResult | null;
  /** Leaves a window to exact holds for an allowance's life, and gives its allowance back now. */
  yieldWindow(budgetId: string, windowStart: Date, windowEnd: Date | null): void;
  /** Writes every hold placed so far. */
  flush(): Promise<void>;
  /** How long a refused hold may wait for allowances to be given back or to expire. */
  readonly maxWaitMs: number;
}
