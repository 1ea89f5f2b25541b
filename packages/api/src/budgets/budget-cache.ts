import type { DataSource } from 'typeorm';
import type { Logger } from '../observability/logger';
import { type ScopeKey, scopeRank, SCOPE_KEYS, type WireAttribution } from '../attribution/scope';
import type { BudgetService, BudgetState } from './budget.service';
import { remainingOf } from './money';
import { SingleFlight } from '../cache/single-flight';

/** Definitions are re-read at least this often, even without a change notification. */
export const DEFINITIONS_TTL_MS = 5_000;

interface Loaded {
  at: number;
  /** Every window of the set contains instants in [validFrom, validUntil). */
  validFrom: number;
  validUntil: number;
  /** Budgets grouped by the keys of their scope, then by the scope's values. */
  groups: { keys: ScopeKey[]; byValues: Map<string, BudgetState[]> }[];
}

const counterKey = (budgetId: string, windowStart: Date) => `${budgetId}|${windowStart.getTime()}`;

/**
 * Budgets in memory for the decision path: every active definition with the bounds of its
 * current window, and the last known counters of each window (from reads, and from every
 * hold, which answers the exact counters it saw under lock). Counters may be behind the
 * database by at most the staleness bound, and a hold re-checks every limit under lock, so
 * a stale answer can never hold past a limit. Definitions are dropped on a change
 * notification (`purser_definitions`, raised by a trigger on `budgets`), when a window
 * ends, and after {@link DEFINITIONS_TTL_MS}.
 */
export class BudgetCache {
  private loaded?: Loaded;
  private readonly flight = new SingleFlight<Loaded>();
  private counters = new Map<string, { spent: string; reserved: string; at: number }>();

  constructor(
    private readonly budgets: BudgetService,
    /** Counters older than this (ms) are reported stale. */
    private readonly stalenessMs: number,
    private readonly wallClock: () => number = Date.now,
    /** Told of a background reload that failed (decisions keep the loaded set meanwhile). */
    private readonly onRefreshError?: (error: unknown) => void,
  ) {}

  /** Forgets every definition (a budget changed here or on another replica). */
  invalidate(): void {
    this.flight.invalidate();
    this.loaded = undefined;
  }

  /**
   * Budgets applying to an attribution at `at`, widest scope first, with last known
   * counters; `stale` when any of those counters is older than the staleness bound.
   */
  async applicable(
    attribution: WireAttribution,
    at: Date,
  ): Promise<{ budgets: BudgetState[]; stale: boolean }> {
    const loaded = await this.current(at);
    const matched: BudgetState[] = [];
    for (const group of loaded.groups) {
      const values: string[] = [];
      for (const key of group.keys) {
        const value = attribution[key];
        if (value === undefined) break;
        values.push(value);
      }
      if (values.length !== group.keys.length) continue;
      const found = group.byValues.get(values.join('\u0000'));
      if (found) matched.push(...found);
    }
    matched.sort(
      (left, right) =>
        scopeRank(left.scope) - scopeRank(right.scope) || left.id.localeCompare(right.id),
    );
    const oldest = this.wallClock() - this.stalenessMs;
    let stale = false;
    const budgets = matched.map((state) => {
      const counters = this.counters.get(counterKey(state.id, state.windowStart));
      if (!counters || counters.at <= oldest) stale = true;
      return counters ? withCounters(state, counters.spent, counters.reserved) : state;
    });
    return { budgets, stale };
  }

  /** Whether any active budget exists (as of the loaded definitions). */
  async any(at: Date): Promise<boolean> {
    return (await this.current(at)).groups.length > 0;
  }

  /** Records counters read or answered by the database. */
  observe(budgetId: string, windowStart: Date, spent: string, reserved: string): void {
    this.counters.set(counterKey(budgetId, windowStart), {
      spent,
      reserved,
      at: this.wallClock(),
    });
  }

  /** Forgets the counters of a window (moved by spend), so the next decision reads them. */
  forget(budgetId: string, windowStart: Date): void {
    this.counters.delete(counterKey(budgetId, windowStart));
  }

  private async current(at: Date): Promise<Loaded> {
    const instant = at.getTime();
    const loaded = this.loaded;
    if (loaded && instant >= loaded.validFrom && instant < loaded.validUntil) {
      const age = this.wallClock() - loaded.at;
      if (age < DEFINITIONS_TTL_MS) {
        // Past half its life the set is read again in the background: decisions keep
        // answering from it and never wait for the periodic reload.
        if (age >= DEFINITIONS_TTL_MS / 2)
          this.reload(at).catch((error: unknown) => this.onRefreshError?.(error));
        return loaded;
      }
    }
    const result = await this.reload(at);
    // Loaded for another instant (concurrent callers with a moving clock): read for this one.
    if (instant < result.validFrom || instant >= result.validUntil) return this.load(at);
    return result;
  }

  /** One load at a time; its result is kept unless definitions changed meanwhile. */
  private reload(at: Date): Promise<Loaded> {
    return this.flight.run(
      () => this.load(at),
      (result) => {
        this.loaded = result;
      },
    );
  }

  private async load(at: Date): Promise<Loaded> {
    const started = this.wallClock();
    // Counters are as old as the start of the read that returned them.
    const states = await this.budgets.all(at);
    let validFrom = -Infinity;
    let validUntil = Infinity;
    const groups = new Map<string, Loaded['groups'][number]>();
    const previous = this.counters;
    this.counters = new Map();
    for (const state of states) {
      validFrom = Math.max(validFrom, state.windowStart.getTime());
      if (state.windowEnd) validUntil = Math.min(validUntil, state.windowEnd.getTime());
      const key = counterKey(state.id, state.windowStart);
      // A hold answered while this read was running saw newer counters: keep those.
      const newer = previous.get(key);
      this.counters.set(
        key,
        newer && newer.at > started
          ? newer
          : { spent: state.spent, reserved: state.reserved, at: started },
      );
      const keys = SCOPE_KEYS.filter((key) => state.scope[key] !== undefined);
      const signature = keys.join(',');
      let group = groups.get(signature);
      if (!group) groups.set(signature, (group = { keys, byValues: new Map() }));
      const values = keys.map((key) => state.scope[key]!).join('\u0000');
      const list = group.byValues.get(values);
      if (list) list.push(state);
      else group.byValues.set(values, [state]);
    }
    return { at: started, validFrom, validUntil, groups: [...groups.values()] };
  }
}

/**
 * A budget state with other counters. `remaining` is worked out on first read: the decision
 * path makes one of these per budget and decision and shows views of its own, so it never
 * reads it. Every field of {@link BudgetState} is listed (a test checks none is missing).
 */
export function withCounters(state: BudgetState, spent: string, reserved: string): BudgetState {
  if (state.spent === spent && state.reserved === reserved) return state;
  const limit = state.limit;
  let remaining: string | undefined;
  return {
    id: state.id,
    name: state.name,
    scope: state.scope,
    period: state.period,
    timezone: state.timezone,
    limit,
    currency: state.currency,
    mode: state.mode,
    softThresholds: state.softThresholds,
    downgradeChain: state.downgradeChain,
    windowStart: state.windowStart,
    windowEnd: state.windowEnd,
    createdAt: state.createdAt,
    spent,
    reserved,
    get remaining() {
      return (remaining ??= remainingOf(limit, spent, reserved));
    },
  };
}

/**
 * Listens for `purser_definitions` on a connection of its own and calls `onChange` for each
 * notification (and after a reconnect, since changes may have been missed). Postgres only:
 * the embedded database has a single process, whose own writes invalidate directly.
 */
export class DefinitionsListener {
  private client?: { end(): Promise<void> };
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly onChange: (table: string) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const url = (this.dataSource.options as { url?: string }).url;
    if (!url || this.stopped) return;
    const { Client } = (this.dataSource.driver as unknown as { postgres: typeof import('pg') })
      .postgres;
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    const reconnect = (error?: unknown) => {
      if (this.stopped || this.client !== client) return;
      this.client = undefined;
      if (error) this.logger.warn({ err: error }, 'definition change listener lost; reconnecting');
      void client.end().catch(() => undefined);
      this.onChange('*');
      this.retry = setTimeout(() => void this.start().catch(reconnect), 1000);
      this.retry.unref();
    };
    this.client = client;
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    client.on('notification', (message) => this.onChange(message.payload ?? '*'));
    try {
      await client.connect();
      await client.query('LISTEN purser_definitions');
    } catch (error) {
      reconnect(error);
      return;
    }
    // Changes committed while not listening are unknown: start from a clean slate.
    this.onChange('*');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
