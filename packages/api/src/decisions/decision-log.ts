import { DECISIONS_SUBJECT, type DecisionLoggedInput } from '@purser/adapters';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { type PreparedStatement, queryPrepared } from '../db/prepared';
import { wellFormedJson } from '../db/well-formed';
import { isTransientDatabaseError } from '../db/transient';
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

const FLUSH_INTERVAL_MS = 25;

const RECORD_DECISIONS: PreparedStatement = {
  name: 'purser_record_decisions',
  text: 'SELECT purser_record_decisions($1::json)',
};

/**
 * The batch as one JSON document for `purser_record_decisions`. A lone UTF-16 surrogate in a
 * string (which `JSON.stringify` escapes and Postgres refuses) is written as U+FFFD.
 */
export function decisionsJson(batch: DecisionRecord[]): string {
  const rows = batch.map((record) => ({
    id: record.id,
    created_at: record.createdAt.toISOString(),
    path: record.path,
    key_id: record.keyId,
    provider: record.provider,
    requested_model: record.requestedModel,
    model: record.model,
    action: record.action,
    allow: record.allow,
    attribution: record.attribution,
    request: record.request,
    reasons: record.reasons,
    budgets: record.budgets,
    estimated_cost: record.estimatedCost,
    currency: record.currency,
    reservation_id: record.reservationId,
    policy_revision: record.policyRevision,
    latency_ms: record.latencyMs,
  }));
  return wellFormedJson(rows);
}

/**
 * The JSON with every NUL (`\u0000`, which Postgres text and jsonb cannot hold, in a key or
 * a value) written as U+FFFD; an escaped backslash followed by `u0000` is left as it is.
 */
export function withoutNul(json: string): string {
  return json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

const MAX_BATCH = 1_000;
/** Past this many unwritten decisions (database down for long), the oldest are dropped and counted. */
const MAX_BUFFER = 100_000;

/**
 * Records every decision without slowing the answer: decisions are buffered and written in
 * multi-row inserts every 25 ms (small writes spread the work), then published on `purser.decisions.v1`. A failed write is
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
    this.timer = setInterval(() => this.tick(), FLUSH_INTERVAL_MS);
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

  /** The timer's flush: writes what is buffered unless a write is already running. */
  private tick(): void {
    if (this.flushing || this.buffer.length === 0) return;
    this.flushing = this.writeAll(false).finally(() => {
      this.flushing = undefined;
    });
  }

  /**
   * Writes every decision recorded before the call (after a write already running), one
   * write in flight at a time; `drain` also writes what arrives meanwhile, until none is left.
   */
  async flush(drain = false): Promise<void> {
    while (this.flushing) await this.flushing;
    const flushing = this.writeAll(drain).finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
    this.flushing = flushing;
    await flushing;
  }

  /**
   * Writes what was buffered when it started, in batches of at most {@link MAX_BATCH};
   * what arrives meanwhile waits for the next tick (so a busy log writes one batch per tick,
   * not a stream of small ones). `drain` writes until the buffer is empty.
   */
  private async writeAll(drain = false): Promise<void> {
    let pending = this.buffer.length;
    while (this.buffer.length > 0 && (drain || pending > 0)) {
      const batch = this.buffer.slice(0, MAX_BATCH);
      try {
        await this.write(batch);
      } catch (error) {
        if (isTransientDatabaseError(error)) {
          this.logger.warn(
            { err: error, pending: this.buffer.length },
            'writing the decision log failed; will retry',
          );
          return;
        }
        // A record the database refuses must not hold back the rest, nor be lost: the batch
        // again with the text Postgres cannot hold replaced, then each record alone; what is
        // still refused goes to the service log with the reason.
        try {
          await this.write(batch, true).catch((again: unknown) => {
            if (isTransientDatabaseError(again)) throw again;
            return this.writeOneByOne(batch);
          });
        } catch (again) {
          this.logger.warn(
            { err: again, pending: this.buffer.length },
            'writing the decision log failed; will retry',
          );
          return;
        }
      }
      this.buffer.splice(0, batch.length);
      pending -= batch.length;
      this.publish(batch);
    }
  }

  private async writeOneByOne(batch: DecisionRecord[]): Promise<void> {
    for (const record of batch) {
      try {
        await this.write([record], true);
      } catch (error) {
        if (isTransientDatabaseError(error)) throw error;
        this.dropped += 1;
        this.logger.error(
          { err: error, decision: record },
          'the database refused a decision log record; it is in this log line only',
        );
      }
    }
  }

  /** Writes the batch; `storable` first replaces what Postgres text cannot hold (NUL). */
  private async write(batch: DecisionRecord[], storable = false): Promise<void> {
    const json = decisionsJson(batch);
    await queryPrepared(this.dataSource, RECORD_DECISIONS, [storable ? withoutNul(json) : json]);
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
    if (this.buffer.length > 0) await this.flush(true);
  }
}
