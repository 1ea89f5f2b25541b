import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { type PreparedStatement, queryPrepared } from '../db/prepared';
import type { Logger } from '../observability/logger';
import { fromNanos, toNanosCeil } from '@purser/pricing';
import { type AllowanceOptions, allowanceWaitMs } from './allowance-options';
import type { HoldRequest, HoldResult, InMemoryHolds } from './hold-types';
import { type AllowanceSyncDocument, type HoldWindowRow, reservationRows } from './hold-documents';

export { type AllowanceOptions, DEFAULT_ALLOWANCE_OPTIONS } from './allowance-options';

const SYNC: PreparedStatement = {
  name: 'purser_allowance_sync',
  text: `SELECT * FROM purser_allowance_sync($1::jsonb)`,
};

function nanosOf(amount: string): bigint {
  return BigInt(toNanosCeil(amount));
}

/** One budget window as this replica sees it: its allowance and its recent holds. */
interface WindowState {
  key: string;
  budgetId: string;
  windowStart: Date;
  windowEnd: Date | null;
  /** Nanos that may be placed in memory since the last sync was sent. */
  cap: bigint;
  /** Nanos placed in memory since the last sync was sent. */
  placed: bigint;
  /** What the database last said this replica may keep using (shrinks with the room). */
  desired: bigint;
  /** What `hold_allowances` lends this replica on the window since the last sync. */
  granted: bigint;
  /** When (by the clock) the allowance stops being used: half its life after the sync was sent. */
  deadline: number;
  /** Holds and their amount in the current and the previous second (every path). */
  second: number;
  count: number;
  amount: bigint;
  previousCount: number;
  previousAmount: bigint;
  largest: bigint;
  lastHold: number;
  /** Until when this replica leaves the window to exact holds (a refusal met allowances). */
  yieldedUntil: number;
}

/** A hold placed in memory and not yet written, and the windows it was placed on. */
interface PendingHold {
  request: HoldRequest;
  windows: WindowState[];
}

/**
 * Holds placed in memory within allowances, and the syncs that write them and renew the
 * allowances. Safety rests on one invariant, kept by construction: what this replica has
 * placed and not yet written never exceeds what `hold_allowances` lends it, so the room
 * every replica and the exact path see in `budget_windows` (spent + reserved + allowed) never
 * promises more than the limit.
 */
export class HoldAllowances implements InMemoryHolds {
  private readonly windows = new Map<string, WindowState>();
  private pending: PendingHold[] = [];
  private timer?: NodeJS.Timeout;
  private renewer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private stopped = false;
  private failures = 0;
  /** When (by the clock) the last sync was sent. */
  private syncSentAt = 0;
  /** Holds placed in memory within allowances so far (a metric, and what tests check). */
  placedInMemory = 0;
  /** Holds on no budget and no velocity counter placed in memory so far ({@link tryHold}). */
  placedOnNothing = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly options: AllowanceOptions,
  ) {}

  private now(): number {
    return this.options.clock ? this.options.clock() : performance.now();
  }

  /** How long a refused hold may wait for allowances to be given back or to expire. */
  get maxWaitMs(): number {
    return allowanceWaitMs(this.options);
  }

  start(): void {
    this.renewer = setInterval(() => {
      if (this.windows.size > 0) this.schedule(0);
    }, this.options.renewMs);
    this.renewer.unref();
  }

  /**
   * Places `request` in memory when every budget window it holds on has an allowance with
   * room for it, or when it holds on nothing; otherwise null (the exact path). A hold that
   * could be placed in memory counts towards each window's rate either way.
   */
  tryHold(request: HoldRequest): HoldResult | null {
    if (this.stopped) return null;
    if (request.counters.length === 0 && request.budgets.length === 0)
      return this.holdOnNothing(request);
    // A hold with velocity counters is never placed in memory, so it does not count towards a
    // window's rate either (an allowance for it would only sit lent).
    if (request.counters.length > 0) return null;
    const now = this.now();
    const amount = nanosOf(request.amount);
    const windows: WindowState[] = [];
    let fits = true;
    for (const budget of request.budgets) {
      const state = this.windowFor(budget.id, budget.windowStart, budget.windowEnd, amount, now);
      windows.push(state);
      if (state.deadline <= now || state.yieldedUntil > now || state.placed + amount > state.cap)
        fits = false;
    }
    if (!fits) return null;
    for (const state of windows) state.placed += amount;
    this.pending.push({ request, windows });
    this.placedInMemory += 1;
    this.schedule(this.options.syncDelayMs);
    return {
      ok: true,
      local: true,
      spent: request.budgets.map((budget) => budget.spent),
      reserved: request.budgets.map((budget) => budget.reserved),
      counted: [],
    };
  }

  /**
   * A hold on no budget and no velocity counter: `purser_hold_batch` has nothing to refuse it
   * on, and it takes no room, so waiting for its own round trip and commit only made such a
   * decision slower than one held within an allowance. It is answered at once and its
   * reservation written by the next sync, like a hold within an allowance (docs/0005). After
   * a sync failed, and until one succeeds, or while one has waited for its answer as long as
   * an allowance is used, it takes the exact path, which follows PURSER_FAIL_MODE while the
   * database is out of reach.
   */
  private holdOnNothing(request: HoldRequest): HoldResult | null {
    const stuck =
      this.syncing !== undefined && this.now() - this.syncSentAt >= this.options.ttlMs / 2;
    if (this.failures > 0 || stuck) {
      // A sync after a failure is what finds the database back. The one that failed may have
      // carried no hold (a give-back), and with no window active none is scheduled: without
      // this, every such decision would take the exact path for good.
      if (this.failures > 0) this.schedule(this.options.syncDelayMs);
      return null;
    }
    this.pending.push({ request, windows: [] });
    this.placedOnNothing += 1;
    this.schedule(this.options.syncDelayMs);
    return { ok: true, local: true, spent: [], reserved: [], counted: [] };
  }

  /** Leaves a window to exact holds for an allowance's life, and gives its allowance back now. */
  yieldWindow(budgetId: string, windowStart: Date, windowEnd: Date | null): void {
    const now = this.now();
    const state = this.windowFor(budgetId, windowStart, windowEnd, 0n, now, false);
    state.yieldedUntil = now + this.options.ttlMs;
    this.schedule(0);
  }

  /** Writes every hold placed so far (resolves when written, or when a write failed). */
  async flush(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (this.pending.length === 0) return;
    await this.sync();
  }

  /** Writes what is placed and gives every allowance back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.renewer) clearInterval(this.renewer);
    while (this.syncing) await this.syncing;
    if (this.pending.length > 0 || this.windows.size > 0) await this.sync();
    if (this.pending.length > 0) {
      // Their calls went ahead and their usage still counts; the room they were placed in
      // stays lent until the allowances expire. Holds on nothing took no room.
      this.logger.error(
        { holds: this.pending.length },
        'stopping with holds placed in memory (within allowances or on no budget) that could not be written',
      );
    }
  }

  /** Windows with room to place in memory, as the replica sees them (for tests and operators). */
  lent(): { budgetId: string; windowStart: Date; cap: string; placed: string }[] {
    return [...this.windows.values()]
      .filter((state) => state.cap > 0n)
      .map((state) => ({
        budgetId: state.budgetId,
        windowStart: state.windowStart,
        cap: fromNanos(state.cap),
        placed: fromNanos(state.placed),
      }));
  }

  /**
   * The state of a budget window (made on first sight); with `counts`, a hold of `amount`
   * counted towards its rate.
   */
  private windowFor(
    budgetId: string,
    windowStart: Date,
    windowEnd: Date | null,
    amount: bigint,
    now: number,
    counts = true,
  ): WindowState {
    const key = `${budgetId}|${windowStart.getTime()}`;
    let state = this.windows.get(key);
    const second = Math.floor(now / 1000);
    if (!state) {
      state = {
        key,
        budgetId,
        windowStart,
        windowEnd,
        cap: 0n,
        placed: 0n,
        desired: 0n,
        granted: 0n,
        deadline: 0,
        second,
        count: 0,
        amount: 0n,
        previousCount: 0,
        previousAmount: 0n,
        largest: 0n,
        lastHold: now,
        yieldedUntil: 0,
      };
      this.windows.set(key, state);
    }
    this.moveToSecond(state, second);
    if (counts) {
      state.count += 1;
      state.amount += amount;
      if (amount > state.largest) state.largest = amount;
      state.lastHold = now;
    }
    return state;
  }

  /** Starts counting `second`: the last one is kept when adjacent, as the rate. */
  private moveToSecond(state: WindowState, second: number): void {
    if (second === state.second) return;
    const adjacent = second === state.second + 1;
    state.previousCount = adjacent ? state.count : 0;
    state.previousAmount = adjacent ? state.amount : 0n;
    state.count = 0;
    state.amount = 0n;
    state.second = second;
  }

  private schedule(delayMs: number): void {
    if (this.syncing || this.stopped) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, delayMs);
    this.timer.unref();
  }

  /** What a window asks of the database: its target (0 gives it back). */
  private target(state: WindowState, now: number): bigint {
    if (this.stopped || state.yieldedUntil > now) return 0n;
    this.moveToSecond(state, Math.floor(now / 1000));
    if (state.previousCount < this.options.minRate) return 0n;
    const horizon = BigInt(Math.round(this.options.horizonMs));
    const byRate = (state.previousAmount * horizon) / 1000n;
    const byHold = state.largest * 4n;
    return byRate > byHold ? byRate : byHold;
  }

  /** One sync now (what the renewal timer runs): writes placed holds, renews allowances. */
  sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = this.runSync().finally(() => {
      this.syncing = undefined;
      if (this.pending.length > 0) this.schedule(this.options.syncDelayMs);
    });
    return this.syncing;
  }

  private async runSync(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = this.now();
    this.syncSentAt = now;
    const holds = this.pending;
    this.pending = [];
    const states: WindowState[] = [];
    const targets: bigint[] = [];
    const keeps: bigint[] = [];
    const before: { cap: bigint; placed: bigint }[] = [];
    for (const state of this.windows.values()) {
      const target = this.target(state, now);
      const active =
        state.granted > 0n ||
        state.cap > 0n ||
        state.placed > 0n ||
        target > 0n ||
        state.yieldedUntil > now;
      if (!active) {
        // Quiet for two seconds with nothing lent: forget it.
        if (now - state.lastHold > 2_000) this.windows.delete(state.key);
        continue;
      }
      // What may still be placed while this sync is on its way: no more than what is left of
      // the allowance, nor than the database last said to keep, nor anything when giving back.
      const left = state.deadline > now ? state.cap - state.placed : 0n;
      let keep = target === 0n ? 0n : left < state.desired ? left : state.desired;
      if (keep < 0n) keep = 0n;
      states.push(state);
      targets.push(target);
      keeps.push(keep);
      before.push({ cap: state.cap, placed: state.placed });
      state.cap = keep;
      state.placed = 0n;
    }
    // Holds on nothing are written even when no window has anything to renew; after a failure
    // an empty sync still goes, to learn whether the database answers again.
    if (states.length === 0 && holds.length === 0 && this.failures === 0) return;
    const positions = new Map(states.map((state, position) => [state, position + 1]));
    const holdWindows: HoldWindowRow[] = [];
    holds.forEach((pending, position) => {
      for (const state of pending.windows) {
        holdWindows.push({ hold: position + 1, budget_window: positions.get(state)! });
      }
    });
    const document: AllowanceSyncDocument = {
      replica_id: this.options.replicaId,
      ttl_ms: this.options.ttlMs,
      share: String(this.options.share),
      holds: reservationRows(holds.map((pending) => pending.request)),
      hold_windows: holdWindows,
      windows: states.map((state, position) => ({
        budget_id: state.budgetId,
        window_start: state.windowStart.toISOString(),
        window_end: state.windowEnd?.toISOString() ?? null,
        keep: fromNanos(keeps[position]!),
        target: fromNanos(targets[position]!),
      })),
      sync_commit: this.options.syncCommit,
    };
    try {
      const rows: { o_allowance: string; o_desired: string }[] = await queryPrepared(
        this.dataSource,
        SYNC,
        [JSON.stringify(document)],
      );
      this.failures = 0;
      states.forEach((state, position) => {
        const row = rows[position]!;
        const granted = nanosOf(row.o_allowance);
        const desired = nanosOf(row.o_desired);
        // Placed during the sync came out of `keep`, which the grant never goes below.
        state.cap = granted < desired ? granted : desired;
        if (state.cap < state.placed) state.cap = state.placed;
        state.desired = desired;
        state.granted = granted;
        state.deadline = granted > 0n ? now + this.options.ttlMs / 2 : 0;
      });
    } catch (error) {
      // Nothing was written: the previous allowances still stand in the database (until
      // their expiry, which the deadline is well before), and the holds go in the next sync.
      this.failures += 1;
      this.pending = holds.concat(this.pending);
      states.forEach((state, position) => {
        state.cap = before[position]!.cap;
        state.placed += before[position]!.placed;
      });
      const retryMs = Math.min(1_000, this.options.syncDelayMs * 2 ** this.failures);
      this.logger.warn(
        { err: error, holds: holds.length, retry_ms: retryMs },
        'writing holds placed in memory (within allowances or on no budget) failed; will retry',
      );
      await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }
}
