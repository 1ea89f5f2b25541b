import type { DataSource } from 'typeorm';

/** A threshold crossing as recorded (also published on purser.alerts.v1). */
export interface BudgetAlertRecord {
  id: string;
  budgetId: string;
  windowStart: Date;
  threshold: number;
  kind: string;
  spent: string;
  limit: string;
  currency: string;
  createdAt: Date;
  publishedAt: Date | null;
}

/** Reads the budget alerts that the ledger records and maintenance publishes. */
export class BudgetAlertService {
  constructor(private readonly dataSource: DataSource) {}

  /** At most `limit` alerts, newest first; of one budget when `budgetId` is given. */
  async list(limit: number, budgetId?: string): Promise<BudgetAlertRecord[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id::text AS id, budget_id, window_start, threshold::float8 AS threshold, kind, spent::text AS spent,
              limit_amount::text AS limit_amount, currency, created_at, published_at
       FROM budget_alerts ${budgetId ? 'WHERE budget_id::text = $2' : ''} ORDER BY id DESC LIMIT $1`,
      budgetId ? [limit, budgetId] : [limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      budgetId: String(row.budget_id),
      windowStart: new Date(row.window_start as string),
      threshold: Number(row.threshold),
      kind: String(row.kind),
      spent: String(row.spent),
      limit: String(row.limit_amount),
      currency: String(row.currency),
      createdAt: new Date(row.created_at as string),
      publishedAt: row.published_at ? new Date(row.published_at as string) : null,
    }));
  }
}
