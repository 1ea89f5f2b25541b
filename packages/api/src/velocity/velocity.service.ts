import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { NANO_AMOUNT_BOUNDS, decimalProblem } from '@purser/pricing';
import { SCOPE_KEYS, type WireAttribution } from '../attribution/scope';
import { returningRows } from '../db/returning';
import { RefreshingValue } from '../cache/refreshing-value';
import { badInput, notFound } from '../errors';

export const VELOCITY_SCOPES = [...SCOPE_KEYS, 'session'] as const;
export const VELOCITY_METRICS = ['requests', 'tokens', 'cost'] as const;

export interface VelocityLimit {
  id: string;
  name: string;
  /** The attribution key the counter is kept per (`session`, `virtual_key`, `user`, …). */
  scope: (typeof VELOCITY_SCOPES)[number];
  metric: (typeof VELOCITY_METRICS)[number];
  /** Decimal string: a count, or money for `cost`. */
  limit: string;
  windowSeconds: number;
}

/** A limit that applies to a request, with the counter of its current fixed window. */
export interface VelocityState {
  limit: VelocityLimit;
  scopeValue: string;
  windowStart: Date;
  windowEnd: Date;
  current: string;
}

/** Definitions are read again at least this often (a change elsewhere also notifies). */
const DEFINITIONS_TTL_MS = 2_000;

/**
 * Velocity limits (calls, tokens or cost per window per session, key, user…), none by
 * default. Counters are fixed windows aligned to the epoch, incremented with the hold only
 * when the request is allowed.
 */
export class VelocityService {
  private readonly definitions: RefreshingValue<VelocityLimit[]>;
  /** Last known counters (limit, scope value, window start) → value, for the decision path. */
  private counters = new Map<string, { value: string; windowEnd: number; at: number }>();

  constructor(
    private readonly dataSource: DataSource,
    /** Counters older than this (ms) are reported stale. */
    private readonly stalenessMs = 0,
    /** Told of a background reload of the limits that failed (the loaded ones still count). */
    onRefreshError?: (error: unknown) => void,
  ) {
    this.definitions = new RefreshingValue(() => this.readLimits(), {
      refreshAfterMs: DEFINITIONS_TTL_MS / 2,
      expireAfterMs: DEFINITIONS_TTL_MS,
      onRefreshError,
    });
  }

  async create(input: Omit<VelocityLimit, 'id'>): Promise<VelocityLimit> {
    if (!VELOCITY_SCOPES.includes(input.scope))
      throw badInput(
        `scope must be one of ${VELOCITY_SCOPES.join(', ')} (got ${JSON.stringify(input.scope)})`,
      );
    if (!VELOCITY_METRICS.includes(input.metric))
      throw badInput(`metric must be one of ${VELOCITY_METRICS.join(', ')}`);
    // Velocity counters, like budgets, are compared in nano-units.
    const limitProblem = decimalProblem('limit', input.limit, NANO_AMOUNT_BOUNDS);
    if (limitProblem) throw badInput(limitProblem);
    if (
      !Number.isInteger(input.windowSeconds) ||
      input.windowSeconds < 1 ||
      input.windowSeconds > 86_400 * 31
    ) {
      throw badInput(
        `windowSeconds must be a whole number of seconds between 1 and ${86_400 * 31}`,
      );
    }
    const id = randomUUID();
    await this.dataSource.query(
      `INSERT INTO velocity_limits (id, name, scope, metric, limit_value, window_seconds) VALUES ($1, $2, $3, $4, $5::numeric, $6)`,
      [id, input.name, input.scope, input.metric, input.limit, input.windowSeconds],
    );
    this.definitions.invalidate();
    return { id, ...input };
  }

  async delete(id: string): Promise<boolean> {
    const rows = returningRows(
      await this.dataSource.query(
        `UPDATE velocity_limits SET deleted_at = now() WHERE id::text = $1 AND deleted_at IS NULL RETURNING id`,
        [id],
      ),
    );
    this.definitions.invalidate();
    if (rows.length === 0) throw notFound('velocity limit', id);
    return true;
  }

  /** Forgets the cached definitions (a limit changed on another replica). */
  invalidate(): void {
    this.definitions.invalidate();
  }

  /** Active limits, from a copy at most {@link DEFINITIONS_TTL_MS} old. */
  list(): Promise<VelocityLimit[]> {
    return this.definitions.get();
  }

  private async readLimits(): Promise<VelocityLimit[]> {
    const rows = await this.dataSource.query(
      `SELECT id, name, scope, metric, limit_value::text AS limit_value, window_seconds FROM velocity_limits WHERE deleted_at IS NULL ORDER BY created_at, id`,
    );
    const limits = rows.map((row: Record<string, unknown>) => ({
      id: String(row.id),
      name: String(row.name),
      scope: row.scope as VelocityLimit['scope'],
      metric: row.metric as VelocityLimit['metric'],
      limit: String(row.limit_value),
      windowSeconds: Number(row.window_seconds),
    }));
    return limits;
  }

  /** Limits whose scope key the request carries, with their current counters. */
  async applicable(
    attribution: WireAttribution & { session?: string },
    now: Date,
  ): Promise<VelocityState[]> {
    const states = await this.states(attribution, now);
    if (states.length === 0) return [];
    const rows: { limit_id: string; scope_value: string; window_start: string; value: string }[] =
      await this.dataSource.query(
        `SELECT limit_id, scope_value, window_start, value::text AS value FROM velocity_counters
       WHERE (limit_id, scope_value, window_start) IN (SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]))`,
        [
          states.map((state) => state.limit.id),
          states.map((state) => state.scopeValue),
          states.map((state) => state.windowStart.toISOString()),
        ],
      );
    for (const row of rows) {
      const state = states.find(
        (candidate) =>
          candidate.limit.id === row.limit_id && candidate.scopeValue === row.scope_value,
      );
      if (state) state.current = row.value;
    }
    for (const state of states) this.observe(state, state.current);
    return states;
  }

  /**
   * The same from memory: the counters last read or answered by a hold; `stale` when one is
   * unknown or older than the staleness bound. A hold re-checks every counter under lock.
   */
  async cachedApplicable(
    attribution: WireAttribution & { session?: string },
    now: Date,
  ): Promise<{ velocity: VelocityState[]; stale: boolean }> {
    const states = await this.states(attribution, now);
    const oldest = Date.now() - this.stalenessMs;
    let stale = false;
    for (const state of states) {
      const counter = this.counters.get(counterKey(state));
      if (!counter || counter.at <= oldest) stale = true;
      state.current = counter?.value ?? '0';
    }
    return { velocity: states, stale };
  }

  /** Records a counter's value read or answered by the database. */
  observe(state: VelocityState, value: string): void {
    if (this.counters.size >= 100_000) {
      const now = Date.now();
      for (const [key, entry] of this.counters)
        if (entry.windowEnd <= now) this.counters.delete(key);
      if (this.counters.size >= 100_000) this.counters.clear();
    }
    this.counters.set(counterKey(state), {
      value,
      windowEnd: state.windowEnd.getTime(),
      at: Date.now(),
    });
  }

  private async states(
    attribution: WireAttribution & { session?: string },
    now: Date,
  ): Promise<VelocityState[]> {
    const limits = (await this.list()).filter(
      (limit) => attribution[limit.scope as keyof typeof attribution],
    );
    return limits.map((limit) => {
      const size = limit.windowSeconds * 1000;
      const windowStart = new Date(Math.floor(now.getTime() / size) * size);
      return {
        limit,
        scopeValue: String(attribution[limit.scope as keyof typeof attribution]),
        windowStart,
        windowEnd: new Date(windowStart.getTime() + size),
        current: '0',
      };
    });
  }
}

const counterKey = (state: VelocityState) =>
  `${state.limit.id}|${state.scopeValue}|${state.windowStart.getTime()}`;
