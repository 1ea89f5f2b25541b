import { randomUUID } from 'node:crypto';
import { Money, NANO_AMOUNT_BOUNDS, decimalProblem } from '@purser/pricing';
import type { DataSource, EntityManager } from 'typeorm';
import { badInput, notFound } from '../errors';
import { decodeCursor, pageSize, toPage } from '../graphql/pagination';
import { type Scope, scopeRank, scopeSchema, type WireAttribution } from '../attribution/scope';
import { plain, remainingOf } from './money';
import { returningRows } from '../db/returning';

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly', 'total'] as const;
export const BUDGET_MODES = ['block', 'downgrade', 'alert_only'] as const;
export type BudgetPeriodName = (typeof BUDGET_PERIODS)[number];
export type BudgetModeName = (typeof BUDGET_MODES)[number];

export interface BudgetDefinition {
  name: string;
  scope: Scope;
  period: BudgetPeriodName;
  timezone: string;
  limit: string;
  currency: string;
  mode: BudgetModeName;
  softThresholds: number[];
  downgradeChain: string[];
}

/** A budget with its counters in the window containing the asked instant. */
export interface BudgetState extends BudgetDefinition {
  id: string;
  windowStart: Date;
  windowEnd: Date | null;
  spent: string;
  reserved: string;
  remaining: string;
  createdAt: Date;
}

const STATE_COLUMNS = `
  b.id, b.name, b.scope, b.period, b.timezone, b.limit_amount::text AS limit_amount, b.currency, b.mode,
  b.soft_thresholds, b.downgrade_chain, b.created_at,
  purser_window_start(b.period, b.timezone, $1) AS window_start,
  purser_window_end(b.period, b.timezone, $1) AS window_end,
  coalesce(w.spent, 0)::text AS spent, coalesce(w.reserved, 0)::text AS reserved`;

const STATE_FROM = `
  FROM budgets b
  LEFT JOIN budget_windows w ON w.budget_id = b.id AND w.window_start = purser_window_start(b.period, b.timezone, $1)`;

export function toBudgetState(row: Record<string, unknown>): BudgetState {
  const limit = new Money(String(row.limit_amount));
  const spent = new Money(String(row.spent));
  const reserved = new Money(String(row.reserved));
  return {
    id: String(row.id),
    name: String(row.name),
    scope: row.scope as Scope,
    period: row.period as BudgetPeriodName,
    timezone: String(row.timezone),
    limit: plain(limit),
    currency: String(row.currency),
    mode: row.mode as BudgetModeName,
    softThresholds: row.soft_thresholds as number[],
    downgradeChain: row.downgrade_chain as string[],
    windowStart: new Date(row.window_start as string),
    windowEnd: row.window_end ? new Date(row.window_end as string) : null,
    spent: plain(spent),
    reserved: plain(reserved),
    remaining: remainingOf(limit, spent, reserved),
    createdAt: new Date(row.created_at as string),
  };
}

/** Spend at the end of the window if the rate so far continues; null for `total` budgets. */
export function forecastAtWindowEnd(state: BudgetState, now: Date): string | null {
  if (!state.windowEnd) return null;
  const elapsed = now.getTime() - state.windowStart.getTime();
  const length = state.windowEnd.getTime() - state.windowStart.getTime();
  if (elapsed <= 0) return state.spent;
  return plain(
    new Money(state.spent).times(length).dividedBy(Math.min(elapsed, length)).toDecimalPlaces(9),
  );
}

export function validateDefinition(definition: BudgetDefinition): BudgetDefinition {
  if (!definition.name.trim()) throw badInput('name must not be empty');
  const scope = scopeSchema.safeParse(definition.scope);
  if (!scope.success) {
    throw badInput(
      `scope: ${scope.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  // Budgets are enforced in nano-units: a limit finer than that would silently act as less.
  const limitProblem = decimalProblem('limit', definition.limit, NANO_AMOUNT_BOUNDS);
  if (limitProblem) throw badInput(limitProblem);
  if (!/^[A-Z]{3}$/.test(definition.currency))
    throw badInput(
      `currency must be an ISO 4217 code such as USD (got ${JSON.stringify(definition.currency)})`,
    );
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: definition.timezone });
  } catch {
    throw badInput(
      `timezone must be an IANA time zone such as Europe/Paris (got ${JSON.stringify(definition.timezone)})`,
    );
  }
  for (const threshold of definition.softThresholds) {
    if (!(threshold > 0 && threshold <= 1))
      throw badInput(`softThresholds must be fractions of the limit in (0, 1] (got ${threshold})`);
  }
  if (definition.mode === 'downgrade' && definition.downgradeChain.length === 1) {
    throw badInput(
      'downgradeChain must list at least two models, most expensive first (or none, for the default chains)',
    );
  }
  return {
    ...definition,
    scope: scope.data,
    softThresholds: [...new Set(definition.softThresholds)].sort((a, b) => a - b),
  };
}

/** Query parameters $1…$10 of a budget row, in the column order create and update share. */
function definitionParams(id: string, valid: BudgetDefinition): unknown[] {
  return [
    id,
    valid.name,
    JSON.stringify(valid.scope),
    valid.period,
    valid.timezone,
    valid.limit,
    valid.currency,
    valid.mode,
    JSON.stringify(valid.softThresholds),
    valid.downgradeChain,
  ];
}

/** Budgets: definitions in `budgets`, counters per window in `budget_windows`. */
export class BudgetService {
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly dataSource: DataSource) {}

  /** Calls `listener` after every change this instance makes to a budget definition. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Creates a budget; answers its state in the window containing `at` (the service clock). */
  async create(
    definition: BudgetDefinition,
    at: Date = new Date(),
    manager: EntityManager = this.dataSource.manager,
  ): Promise<BudgetState> {
    const valid = validateDefinition(definition);
    const id = randomUUID();
    await manager.query(
      `INSERT INTO budgets (id, name, scope, period, timezone, limit_amount, currency, mode, soft_thresholds, downgrade_chain)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6::numeric, $7, $8, $9::jsonb, $10::text[])`,
      definitionParams(id, valid),
    );
    this.changed();
    return (await this.get(id, at, manager))!;
  }

  /** Changes a budget; answers its state in the window containing `at` (the service clock). */
  async update(
    id: string,
    changes: Partial<BudgetDefinition>,
    at: Date = new Date(),
  ): Promise<BudgetState> {
    const current = await this.get(id, at);
    if (!current) throw notFound('budget', id);
    const valid = validateDefinition({
      ...current,
      ...Object.fromEntries(
        Object.entries(changes).filter(([, value]) => value !== undefined && value !== null),
      ),
    });
    await this.dataSource.query(
      `UPDATE budgets SET name = $2, scope = $3::jsonb, period = $4, timezone = $5, limit_amount = $6::numeric, currency = $7,
              mode = $8, soft_thresholds = $9::jsonb, downgrade_chain = $10::text[], updated_at = now()
       WHERE id = $1 AND deleted_at IS NULL`,
      definitionParams(id, valid),
    );
    this.changed();
    return (await this.get(id, at))!;
  }

  /** Soft delete: the budget stops applying; its windows and history stay. */
  async delete(id: string): Promise<boolean> {
    // Not a uuid: Postgres would refuse the cast with an internal error; it names no budget.
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('budget', id);
    const result = returningRows<{ id: string }>(
      await this.dataSource.query(
        `UPDATE budgets SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [id],
      ),
    );
    this.changed();
    if (result.length === 0) {
      const exists = await this.dataSource.query(`SELECT 1 FROM budgets WHERE id = $1`, [id]);
      if (exists.length === 0) throw notFound('budget', id);
      return false;
    }
    return true;
  }

  async get(
    id: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<BudgetState | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows = await manager.query(
      `SELECT ${STATE_COLUMNS} ${STATE_FROM} WHERE b.id = $2 AND b.deleted_at IS NULL`,
      [at.toISOString(), id],
    );
    return rows.length > 0 ? toBudgetState(rows[0]) : null;
  }

  async list(at: Date, first?: number, after?: string) {
    const size = pageSize(first);
    const cursor = decodeCursor(after);
    const rows = await this.dataSource.query(
      `SELECT ${STATE_COLUMNS}, b.seq::text AS seq ${STATE_FROM}
       WHERE b.deleted_at IS NULL ${cursor ? 'AND b.seq > $3::bigint' : ''} ORDER BY b.seq LIMIT $2`,
      cursor ? [at.toISOString(), size + 1, cursor] : [at.toISOString(), size + 1],
    );
    const states: (BudgetState & { seq: string })[] = rows.map((row: Record<string, unknown>) => ({
      ...toBudgetState(row),
      seq: String(row.seq),
    }));
    return toPage(
      states.map((state) => ({ ...state, id: state.seq, budgetId: state.id })),
      size,
      ({ budgetId, seq: _seq, ...state }) => ({ ...state, id: budgetId }),
    );
  }

  /** Every active budget with the counters of the window containing `at`. */
  async all(at: Date): Promise<BudgetState[]> {
    const rows = await this.dataSource.query(
      `SELECT ${STATE_COLUMNS} ${STATE_FROM} WHERE b.deleted_at IS NULL`,
      [at.toISOString()],
    );
    return rows.map(toBudgetState);
  }

  /**
   * Every budget that applies to an attribution (its scope is contained in it), with the
   * counters of the window containing `at`, widest scope first (org → team → … → key).
   */
  async applicable(
    attribution: WireAttribution,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<BudgetState[]> {
    const rows = await manager.query(
      `SELECT ${STATE_COLUMNS} ${STATE_FROM} WHERE b.deleted_at IS NULL AND b.scope <@ $2::jsonb`,
      [at.toISOString(), JSON.stringify(attribution)],
    );
    return rows
      .map(toBudgetState)
      .sort(
        (left: BudgetState, right: BudgetState) =>
          scopeRank(left.scope) - scopeRank(right.scope) || left.id.localeCompare(right.id),
      );
  }
}
