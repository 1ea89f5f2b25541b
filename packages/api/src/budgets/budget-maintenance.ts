import { ALERTS_SUBJECT, type BudgetThresholdCrossedInput } from '@purser/adapters';
import type { EntityManager } from 'typeorm';
import { OutboxJob, type OutboxJobDependencies } from '../runtime/outbox-job';
import type { BudgetLedger } from './budget-ledger';

/**
 * Background work every replica runs: releasing expired holds and hold allowances, and publishing recorded
 * threshold crossings on `purser.alerts.v1` (a transactional outbox: recorded once per
 * threshold per window with the spend, published here, marked when sent) and handing them to
 * `onAlerts` (webhooks; marked `notified_at` apart).
 */
export class BudgetMaintenance extends OutboxJob<
  OutboxJobDependencies & {
    ledger: BudgetLedger;
    /** Also given each recorded crossing once, in the transaction that marks it notified. */
    onAlerts?: (manager: EntityManager, alerts: BudgetThresholdCrossedInput[]) => Promise<void>;
  }
> {
  protected async pass(): Promise<void> {
    try {
      const expired = await this.deps.ledger.expire(this.deps.clock());
      if (expired > 0) this.deps.logger.info({ expired }, 'expired holds released');
      const allowances = await this.deps.ledger.expireAllowances();
      if (allowances > 0)
        this.deps.logger.info({ allowances }, 'expired hold allowances given back');
      await this.publishAlerts();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'budget maintenance failed; will retry');
    }
    // Apart: NATS being away does not hold the webhooks back, nor the reverse.
    try {
      await this.notifyAlerts();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'handing budget alerts to notifications failed');
    }
  }

  async publishAlerts(): Promise<number> {
    const nats = this.deps.nats();
    if (!nats || nats.isClosed()) return 0;
    return this.deps.dataSource.transaction(async (manager) => {
      const { ids, alerts } = await claimAlerts(manager, 'published_at');
      if (ids.length === 0) return 0;
      for (const alert of alerts) nats.publish(ALERTS_SUBJECT, JSON.stringify(alert));
      await nats.flush();
      await manager.query(
        `UPDATE budget_alerts SET published_at = now() WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      return ids.length;
    });
  }

  /**
   * Hands recorded crossings not yet notified to `onAlerts` (the assembly writes them to the
   * webhook outbox) in the transaction that marks them `notified_at`: NATS or not, each is
   * handed on once.
   */
  async notifyAlerts(): Promise<number> {
    const onAlerts = this.deps.onAlerts;
    if (!onAlerts) return 0;
    return this.deps.dataSource.transaction(async (manager) => {
      const { ids, alerts } = await claimAlerts(manager, 'notified_at');
      if (ids.length === 0) return 0;
      await onAlerts(manager, alerts);
      await manager.query(
        `UPDATE budget_alerts SET notified_at = now() WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      return ids.length;
    });
  }
}

/**
 * Locks up to 200 recorded crossings whose `column` is still null (skipping those another
 * replica holds) and builds their `purser.alerts.v1` payloads.
 */
async function claimAlerts(
  manager: EntityManager,
  column: 'published_at' | 'notified_at',
): Promise<{ ids: unknown[]; alerts: BudgetThresholdCrossedInput[] }> {
  const rows: Record<string, unknown>[] = await manager.query(
    `SELECT a.id::text AS id, a.budget_id, a.window_start, a.threshold::float8 AS threshold, a.kind, a.spent::text AS spent,
            a.limit_amount::text AS limit_amount, a.currency, a.created_at, b.name, b.period, b.timezone, b.scope, b.mode,
            purser_window_end(b.period, b.timezone, a.window_start) AS window_end,
            coalesce(w.reserved, 0)::text AS reserved
     FROM budget_alerts a JOIN budgets b ON b.id = a.budget_id
     LEFT JOIN budget_windows w ON w.budget_id = a.budget_id AND w.window_start = a.window_start
     WHERE a.${column} IS NULL ORDER BY a.id LIMIT 200 FOR UPDATE OF a SKIP LOCKED`,
  );
  const alerts = rows.map((row): BudgetThresholdCrossedInput => ({
    alert_id: `${row.budget_id}:${new Date(row.window_start as string).toISOString()}:${row.threshold}`,
    budget_id: String(row.budget_id),
    budget_name: String(row.name),
    threshold: Number(row.threshold),
    kind: row.kind as 'soft_threshold' | 'limit_reached',
    window: {
      period: row.period as 'daily',
      starts_at: new Date(row.window_start as string).toISOString(),
      ends_at: row.window_end ? new Date(row.window_end as string).toISOString() : undefined,
      timezone: String(row.timezone),
    },
    spent: String(row.spent),
    reserved: String(row.reserved).replace(/^-.*/, '0'),
    limit: String(row.limit_amount),
    currency: String(row.currency),
    scope: row.scope as Record<string, string>,
    mode: row.mode as 'block',
    crossed_at: new Date(row.created_at as string).toISOString(),
  }));
  return { ids: rows.map((row) => row.id), alerts };
}
