import type { WireAttribution } from '../attribution/scope';
import type { HoldRequest } from './hold-types';

/**
 * The named arguments of `purser_hold_batch` and `purser_allowance_sync` (migration
 * 1763901000000): one `jsonb` document each, keyed as the columns the functions write.
 * Positions (`hold`, `budget_window`, `counter`) are 1-based, into `holds`, `windows` and
 * `counters`.
 */

/** A hold's reservation: its id, decision, amount, attribution, when placed and expiring, its key. */
export interface ReservationRow {
  id: string;
  decision_id: string;
  amount: string;
  currency: string;
  attribution: WireAttribution;
  created_at: string;
  expires_at: string;
  /** The API key that placed the hold (docs/0006); null: bound to no key. */
  key_id: string | null;
}

/** A budget window holds are placed on (created under lock when missing). */
export interface WindowRow {
  budget_id: string;
  window_start: string;
  window_end: string | null;
}

/** One budget window of one hold; grouped by hold, in hold order. */
export interface HoldWindowRow {
  hold: number;
  budget_window: number;
}

/** A velocity counter holds increment. */
export interface CounterRow {
  limit_id: string;
  scope_value: string;
  window_start: string;
}

/** One counter increment of one hold, and the limit it must stay within; grouped by hold. */
export interface HoldCounterRow {
  hold: number;
  counter: number;
  amount: string;
  limit_amount: string;
}

/** `purser_hold_batch`: holds decided in order, each all or nothing (docs/0002). */
export interface HoldBatchDocument {
  holds: ReservationRow[];
  windows: WindowRow[];
  hold_windows: HoldWindowRow[];
  counters: CounterRow[];
  hold_counters: HoldCounterRow[];
  /** Whether the commit waits for the write-ahead log to reach the disk. */
  sync_commit: boolean;
}

/** A window of an allowance sync: what may still be placed in flight (`keep`) and the target. */
export interface AllowanceWindowRow extends WindowRow {
  keep: string;
  target: string;
}

/** `purser_allowance_sync`: writes holds placed in memory and renews allowances (docs/0005). */
export interface AllowanceSyncDocument {
  replica_id: string;
  ttl_ms: number;
  share: string;
  holds: ReservationRow[];
  hold_windows: HoldWindowRow[];
  windows: AllowanceWindowRow[];
  sync_commit: boolean;
}

/** The reservations of `requests`, in their order. */
export function reservationRows(requests: HoldRequest[]): ReservationRow[] {
  return requests.map((request) => ({
    id: request.reservationId,
    decision_id: request.decisionId,
    amount: request.amount,
    currency: request.currency,
    attribution: request.attribution,
    created_at: request.now.toISOString(),
    expires_at: request.expiresAt.toISOString(),
    key_id: request.keyId ?? null,
  }));
}

/**
 * The document of one hold batch: each distinct budget window and counter once, and each
 * hold's rows pointing into them.
 */
export function holdBatchDocument(requests: HoldRequest[], syncCommit: boolean): HoldBatchDocument {
  const document: HoldBatchDocument = {
    holds: reservationRows(requests),
    windows: [],
    hold_windows: [],
    counters: [],
    hold_counters: [],
    sync_commit: syncCommit,
  };
  const windowPositions = new Map<string, number>();
  const counterPositions = new Map<string, number>();
  requests.forEach((request, index) => {
    const hold = index + 1;
    for (const budget of request.budgets) {
      const windowStart = budget.windowStart.toISOString();
      const key = `${budget.id}|${windowStart}`;
      let budgetWindow = windowPositions.get(key);
      if (budgetWindow === undefined) {
        document.windows.push({
          budget_id: budget.id,
          window_start: windowStart,
          window_end: budget.windowEnd?.toISOString() ?? null,
        });
        budgetWindow = document.windows.length;
        windowPositions.set(key, budgetWindow);
      }
      document.hold_windows.push({ hold, budget_window: budgetWindow });
    }
    for (const increment of request.counters) {
      const windowStart = increment.windowStart.toISOString();
      const key = `${increment.limitId}|${increment.scopeValue}|${windowStart}`;
      let counter = counterPositions.get(key);
      if (counter === undefined) {
        document.counters.push({
          limit_id: increment.limitId,
          scope_value: increment.scopeValue,
          window_start: windowStart,
        });
        counter = document.counters.length;
        counterPositions.set(key, counter);
      }
      document.hold_counters.push({
        hold,
        counter,
        amount: increment.amount,
        limit_amount: increment.limit,
      });
    }
  });
  return document;
}
