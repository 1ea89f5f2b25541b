import { remainingOf } from './money';
// Fixtures of the BudgetCache unit tests (budget-cache-*.test.ts): a fake BudgetService with
// mutable definitions and counters, and a cache over it on a clock the test moves.
import { BudgetCache } from './budget-cache';
import type { Scope, WireAttribution } from '../attribution/scope';
import type { BudgetService, BudgetState } from './budget.service';

export const DAY = 86_400_000;
export const T0 = Date.parse('2026-11-20T10:00:00.000Z');

/** A daily UTC budget definition; the fake service gives it the window of each asked instant. */
export interface FakeBudget {
  id: string;
  scope: Scope;
  limit?: string;
}

/**
 * A BudgetService answering `all(at)` from a mutable list of definitions, with the daily
 * window containing `at` and counters per (budget, window) that a test may set. Each load
 * can be held open (`hold()`) to observe concurrent callers.
 */
export function fakeBudgets(initial: FakeBudget[]) {
  const definitions = [...initial];
  const counters = new Map<string, { spent: string; reserved: string }>();
  let gate: Promise<void> | undefined;
  const calls: Date[] = [];
  const windowStart = (at: Date) => new Date(Math.floor(at.getTime() / DAY) * DAY);
  const service = {
    async all(at: Date): Promise<BudgetState[]> {
      calls.push(at);
      if (gate) await gate;
      const start = windowStart(at);
      return definitions.map((definition) => {
        const { spent, reserved } = counters.get(`${definition.id}|${start.getTime()}`) ?? {
          spent: '0',
          reserved: '0',
        };
        const limit = definition.limit ?? '10';
        return {
          id: definition.id,
          name: `budget ${definition.id}`,
          scope: definition.scope,
          period: 'daily',
          timezone: 'UTC',
          limit,
          currency: 'USD',
          mode: 'block',
          softThresholds: [],
          downgradeChain: [],
          windowStart: start,
          windowEnd: new Date(start.getTime() + DAY),
          spent,
          reserved,
          remaining: remainingOf(limit, spent, reserved),
          createdAt: new Date(T0 - DAY),
        };
      });
    },
  };
  return {
    service: service as unknown as BudgetService,
    definitions,
    calls,
    setCounters(id: string, at: Date, spent: string, reserved = '0') {
      counters.set(`${id}|${windowStart(at).getTime()}`, { spent, reserved });
    },
    /** Holds every load until the returned function is called. */
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

export function setup(definitions: FakeBudget[], stalenessMs = 500) {
  let now = T0;
  const fake = fakeBudgets(definitions);
  const refreshErrors: unknown[] = [];
  const cache = new BudgetCache(
    fake.service,
    stalenessMs,
    () => now,
    (error) => refreshErrors.push(error),
  );
  return {
    ...fake,
    cache,
    refreshErrors,
    advance(ms: number) {
      now += ms;
    },
    ids: async (attribution: WireAttribution, at = new Date(T0)) =>
      (await cache.applicable(attribution, at)).budgets.map((budget) => budget.id),
  };
}
