import type { DataSource } from 'typeorm';
import { decodeCursor, pageSize, toPage } from '../graphql/pagination';

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface AttemptValue {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryValue {
  id: string;
  webhookId: string;
  /** The idempotency key the receiver sees (`Idempotency-Key`, `X-Purser-Delivery`). */
  deliveryKey: string;
  eventId: string;
  eventType: string;
  occurredAt: Date;
  state: DeliveryState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  attemptLog: AttemptValue[];
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  delivery_key: string;
  event_id: string;
  event_type: string;
  occurred_at: Date;
  state: DeliveryState;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

const COLUMNS = `id::text AS id, webhook_id, delivery_key, event_id, event_type, occurred_at, state,
  attempts, max_attempts, next_attempt_at, last_status, last_error, created_at, finished_at`;

const date = (value: Date | string | null) => (value === null ? null : new Date(value));

/** Reads deliveries with every attempt made, newest delivery first. */
export class DeliveryQueries {
  constructor(private readonly dataSource: DataSource) {}

  async page(webhookId: string, first?: number | null, after?: string | null) {
    const size = pageSize(first);
    const cursor = decodeCursor(after);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_deliveries
       WHERE webhook_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
       ORDER BY id DESC LIMIT $3`,
      [webhookId, cursor, size + 1],
    );
    const attempts = await this.attempts(rows.slice(0, size).map((row) => row.id));
    return toPage(rows, size, (row) => toValue(row, attempts.get(row.id) ?? []));
  }

  async get(id: string): Promise<DeliveryValue | null> {
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = $1::bigint`,
      [id],
    );
    if (rows.length === 0) return null;
    return toValue(rows[0]!, (await this.attempts([id])).get(id) ?? []);
  }

  private async attempts(ids: string[]): Promise<Map<string, AttemptValue[]>> {
    const byDelivery = new Map<string, AttemptValue[]>();
    if (ids.length === 0) return byDelivery;
    const rows: AttemptRow[] = await this.dataSource.query(
      `SELECT delivery_id::text AS delivery_id, attempt, started_at, duration_ms, status_code, error
       FROM webhook_attempts WHERE delivery_id = ANY ($1::bigint[]) ORDER BY delivery_id, attempt`,
      [ids],
    );
    for (const row of rows) {
      const list = byDelivery.get(row.delivery_id) ?? [];
      list.push({
        attempt: row.attempt,
        startedAt: new Date(row.started_at),
        durationMs: row.duration_ms,
        statusCode: row.status_code,
        error: row.error,
      });
      byDelivery.set(row.delivery_id, list);
    }
    return byDelivery;
  }
}

function toValue(row: DeliveryRow, attemptLog: AttemptValue[]): DeliveryValue {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    deliveryKey: row.delivery_key,
    eventId: row.event_id,
    eventType: row.event_type,
    occurredAt: new Date(row.occurred_at),
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.state === 'pending' ? date(row.next_attempt_at) : null,
    lastStatusCode: row.last_status,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    finishedAt: date(row.finished_at),
    attemptLog,
  };
}
