import { DECISIONS_SUBJECT, type DecisionLoggedInput } from '@purser/adapters';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../observability/logger';

/** One decision as recorded. */
export interface DecisionRecord {
  id: string;
  createdAt: Date;
  path: string;
  keyId: string | null;
  provider: string;
  requestedModel: string;
  model: string;
  action: string;
  allow: boolean;
  attribution: Record<string, string>;
  request: Record<string, unknown>;
  reasons: { code: string; message: string; budget_id?: string }[];
  budgets: unknown[];
  estimatedCost: string | null;
  currency: string | null;
  reservationId: string | null;
  policyRevision: string;
  latencyMs: number;
  maxOutputTokens: number;
}

const FLUSH_INTERVAL_MS = 100;
const MAX_BATCH = 1_000;
/** Past this many unwritten decisions (database down for long), the oldest are dropped and counted. */
const MAX_BUFFER = 100_000;

/**
 * Records every decision without slowing the answer: decisions are buffered and written in
 * multi-row inserts every 100 ms, then published on `purser.decisions.v1`. A failed write is
 * retried on the next tick.
 */
export class DecisionLog {
  private buffer: DecisionRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  dropped = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly nats: () => NatsConnection | null,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  record(decision: DecisionRecord): void {
    this.buffer.push(decision);
    if (this.buffer.length > MAX_BUFFER) {
      this.dropped += this.buffer.length - MAX_BUFFER;
      this.buffer.splice(0, this.buffer.length - MAX_BUFFER);
      this.logger.error(
        { dropped: this.dropped },
        'decision log buffer full; oldest decisions dropped',
      );
    }
  }

  /** Writes what is buffered (one batch in flight at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, MAX_BATCH);
      try {
        await this.write(batch);
      } catch (error) {
        this.logger.warn(
          { err: error, pending: this.buffer.length },
          'writing the decision log failed; will retry',
        );
        return;
      }
      this.buffer.splice(0, batch.length);
      this.publish(batch);
    }
  }

  private async write(batch: DecisionRecord[]): Promise<void> {
    // The log is already buffered in memory for up to 100 ms, so its commit need not wait
    // for the write-ahead log to reach the disk: it does not queue behind, nor slow, the
    // flushes that holds wait for. A Postgres crash may lose the last few hundred ms of it.
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL synchronous_commit = off`);
      await this.insert(manager, batch);
    });
  }

  private async insert(manager: EntityManager, batch: DecisionRecord[]): Promise<void> {
    const column = <T>(pick: (record: DecisionRecord) => T) => batch.map(pick);
    await manager.query(
      `INSERT INTO decisions (id, created_at, path, key_id, provider, requested_model, model, action, allow, attribution, request,
                              reasons, budgets, estimated_cost, currency, reservation_id, policy_revision, latency_ms)
       SELECT id, created_at, path, key_id, provider, requested_model, model, action, allow, attribution::jsonb, request::jsonb,
              reasons::jsonb, budgets::jsonb, estimated_cost, currency, reservation_id, policy_revision, latency_ms
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::numeric[], $15::text[], $16::uuid[],
                   $17::text[], $18::float8[])
         AS x(id, created_at, path, key_id, provider, requested_model, model, action, allow, attribution, request, reasons,
              budgets, estimated_cost, currency, reservation_id, policy_revision, latency_ms)
       ON CONFLICT (id) DO NOTHING`,
      [
        column((r) => r.id),
        column((r) => r.createdAt.toISOString()),
        column((r) => r.path),
        column((r) => r.keyId),
        column((r) => r.provider),
        column((r) => r.requestedModel),
        column((r) => r.model),
        column((r) => r.action),
        column((r) => r.allow),
        column((r) => JSON.stringify(r.attribution)),
        column((r) => JSON.stringify(r.request)),
        column((r) => JSON.stringify(r.reasons)),
        column((r) => JSON.stringify(r.budgets)),
        column((r) => r.estimatedCost),
        column((r) => r.currency),
        column((r) => r.reservationId),
        column((r) => r.policyRevision),
        column((r) => r.latencyMs),
      ],
    );
  }

  private publish(batch: DecisionRecord[]): void {
    const nats = this.nats();
    if (!nats || nats.isClosed()) return;
    for (const record of batch) {
      const payload: DecisionLoggedInput = {
        decision_id: record.id,
        decided_at: record.createdAt.toISOString(),
        request: {
          provider: record.provider,
          model: record.requestedModel,
          attribution: record.attribution,
          estimated_input_tokens: Number(record.request.estimated_input_tokens ?? 0),
          max_output_tokens: Number(record.request.max_output_tokens ?? 0),
        },
        allow: record.allow,
        action: record.action as DecisionLoggedInput['action'],
        model: record.model,
        max_output_tokens: record.maxOutputTokens,
        reasons: record.reasons.map((reason) => ({
          code: reason.code,
          message: reason.message,
          budget_id: reason.budget_id,
        })),
        estimated_cost:
          record.estimatedCost && record.currency
            ? { amount: record.estimatedCost, currency: record.currency }
            : undefined,
        reservation_id: record.reservationId ?? undefined,
        policy_revision: record.policyRevision,
        latency_ms: record.latencyMs,
        simulated: record.path === 'simulate',
      };
      nats.publish(DECISIONS_SUBJECT, JSON.stringify(payload));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    if (this.buffer.length > 0) await this.flush();
  }
}
