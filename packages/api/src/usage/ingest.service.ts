import { type DeadLetter, parseUsageEventJson, USAGE_DLQ_SUBJECT } from '@purser/adapters';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import type { Env } from '../config/env';
import { PurserError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PricingService } from '../pricing/pricing.service';
import { wellFormed } from '../db/well-formed';
import { deadLetterOf, insertDeadLetters } from './dead-letters';
import { type Prepared, prepareBatch, storedIdentity } from './ingest-prepare';
import { isTransientDatabaseError } from './transient';
import { DIMENSION_COLUMNS, type PricedEvent, TOKEN_COLUMNS } from './usage-rows';

/** One message to ingest, from any path. */
export interface IngestItem {
  /** The message body: raw bytes/text (NATS) or an already parsed JSON value (HTTP, GraphQL). */
  body: unknown;
  /** True when `body` is raw bytes or text to be parsed as JSON. */
  raw?: boolean;
  /** Where it came from: a NATS subject, `http`, `graphql` or `replay`. */
  subject: string;
  streamSequence?: number;
  deliveryCount?: number;
  /**
   * The API key that sent it (HTTP, GraphQL): its usage settles only holds that key placed.
   * Absent for trusted channels (NATS, replays) and admins: their usage settles any hold.
   */
  senderKeyId?: string;
}

export type IngestStatus = 'accepted' | 'duplicate' | 'rejected';

export interface IngestOutcome {
  id?: string;
  source?: string;
  status: IngestStatus;
  reason?: string;
}

/**
 * Work inside the ingest transaction for the events it stored (e.g. settling holds); what it
 * answers runs once the transaction committed.
 */
export type StoredEventsHook = (
  manager: EntityManager,
  stored: PricedEvent[],
) => Promise<(() => void) | undefined | void>;

/** How a {@link StoredEventsHook} is registered. */
export interface StoredEventsHookOptions {
  /**
   * Whether the hook may have work for a batch of these events (a superset of those it will
   * be given once stored); asked just before the batch is written. A hook without it always
   * may. When no hook may and the batch has no dead letters, the batch is a single statement,
   * written without an explicit transaction: one round trip instead of three, and its row
   * locks end with it instead of waiting for the service to send COMMIT.
   */
  mayAct?: (events: PricedEvent[]) => boolean | Promise<boolean>;
}

interface RegisteredHook {
  hook: StoredEventsHook;
  mayAct?: StoredEventsHookOptions['mayAct'];
}

/** The one error ingest throws for a database it cannot reach: retry the whole batch later. */
function unavailable(cause: unknown): PurserError {
  return new PurserError({
    code: 'UNAVAILABLE',
    message: 'The database is unavailable; retry later',
    cause,
    isRetryable: true,
  });
}

/**
 * The columns of `usage_events` an ingest batch writes, with their types, in the order of the
 * values of a row in the batch's JSON document. `ingest_path` is the same for the whole batch
 * and travels as a parameter of its own.
 */
const EVENT_COLUMNS = [
  ['source', 'text'],
  ['event_id', 'text'],
  ['occurred_at', 'timestamptz'],
  ['provider', 'text'],
  ['model', 'text'],
  ['team', 'text'],
  ['feature', 'text'],
  ['environment', 'text'],
  ['customer', 'text'],
  ['project', 'text'],
  ['user_id', 'text'],
  ['agent', 'text'],
  ['operation', 'text'],
  ['session', 'text'],
  ['virtual_key', 'text'],
  ['request_path', 'text'],
  ['tags', 'jsonb'],
  ['status', 'text'],
  ['error_type', 'text'],
  ['latency_ms', 'integer'],
  ['retry_count', 'integer'],
  ['cache_hit', 'boolean'],
  ['batch', 'boolean'],
  ['input_tokens', 'bigint'],
  ['cache_read_tokens', 'bigint'],
  ['cache_write_tokens', 'bigint'],
  ['cache_write_1h_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['reasoning_tokens', 'bigint'],
  ['units', 'jsonb'],
  ['cost', 'numeric'],
  ['currency', 'text'],
  ['cost_breakdown', 'jsonb'],
  ['price_card_id', 'text'],
  ['unpriced', 'boolean'],
  ['unpriced_keys', 'text[]'],
  ['reported_cost', 'numeric'],
  ['reported_currency', 'text'],
  ['decision_id', 'text'],
] as const;

/**
 * Positions of the text columns. They keep the meaning a text parameter gives a lone surrogate
 * (U+FFFD, see {@link wellFormed}); a JSON column holding one is still refused, as it always was.
 */
const TEXT_POSITIONS = EVENT_COLUMNS.flatMap(([, type], index) => (type === 'text' ? [index] : []));

/**
 * One event as an array of its column values in {@link EVENT_COLUMNS} order; `undefined`
 * becomes JSON `null` (SQL NULL).
 */
function eventRow(row: PricedEvent): unknown[] {
  const { event, cost } = row;
  const a = event.attribution;
  const usage = event.usage;
  return [
    event.source,
    event.id,
    event.timestampText,
    event.provider,
    event.model,
    a.team,
    a.feature,
    a.environment,
    a.customer,
    a.project,
    a.user,
    a.agent,
    event.operation,
    a.session,
    a.virtualKey,
    a.requestPath,
    event.tags,
    event.status,
    event.errorType,
    // The contract allows fractions; the column keeps whole milliseconds.
    event.latencyMs === undefined ? undefined : Math.round(event.latencyMs),
    event.retryCount,
    event.cacheHit,
    event.batch,
    usage.input_tokens ?? 0,
    usage.cache_read_tokens ?? 0,
    usage.cache_write_tokens ?? 0,
    usage.cache_write_1h_tokens ?? 0,
    usage.output_tokens ?? 0,
    usage.reasoning_tokens ?? 0,
    usage.units ?? {},
    row.costTotal,
    cost.currency,
    cost.breakdown,
    cost.price_card_id,
    cost.unpriced_keys.length > 0,
    cost.unpriced_keys,
    event.reportedCost?.amount,
    event.reportedCost?.currency,
    event.decisionId,
  ];
}

/**
 * The batch as one JSON document, an array of {@link eventRow} arrays: one parameter that
 * `JSON.stringify` writes in one pass and Postgres parses once as `jsonb`, each row's values
 * then read by position. (Keyed objects read with `json_to_recordset` cost Postgres about
 * twice as much per event: a hash table per object; `jsonb_to_recordset` sorts every
 * object's keys.)
 */
export function eventRowsJson(rows: PricedEvent[]): string {
  const arrays = rows.map(eventRow);
  const json = JSON.stringify(arrays);
  // Any `\\ud…` escape takes the careful way (rare: a lone surrogate, or such literal text).
  if (!json.includes('\\ud')) return json;
  for (const values of arrays) {
    for (const index of TEXT_POSITIONS) {
      const value = values[index];
      if (typeof value === 'string') values[index] = wellFormed(value);
    }
  }
  return JSON.stringify(arrays);
}

/** The SQL reading column `index` of {@link EVENT_COLUMNS} from the row array `r`. */
function columnValue(index: number): string {
  const type = EVENT_COLUMNS[index][1];
  if (type === 'jsonb') return `r -> ${index}`;
  if (type === 'text[]') return `ARRAY(SELECT jsonb_array_elements_text(r -> ${index}))`;
  if (type === 'text') return `r ->> ${index}`;
  return `(r ->> ${index})::${type}`;
}

const HOURLY_KEY = ['hour', ...DIMENSION_COLUMNS, 'currency'];
const HOURLY_SUMS = ['requests', 'unpriced_requests', 'cost', ...TOKEN_COLUMNS];

/**
 * One statement per batch: insert the events (the unique (source, event_id) key drops
 * those already stored) and add exactly the inserted ones to `usage_hourly`, so rollups
 * and events cannot disagree and a redelivered batch adds nothing. Postgres sums the
 * numeric costs exactly and files each event under the hour of the instant it stored.
 * Rows are written in key order so that concurrent batches lock them in the same order
 * and cannot deadlock. `$1` is the batch document ({@link eventRowsJson}), `$2` the path.
 */
const INSERT_EVENTS_SQL = `
  WITH inserted AS (
    INSERT INTO usage_events (${EVENT_COLUMNS.map(([column]) => column).join(', ')}, ingest_path)
    SELECT ${EVENT_COLUMNS.map((_, index) => columnValue(index)).join(', ')}, $2::text
    FROM jsonb_array_elements($1::jsonb) AS r
    ORDER BY 1, 2
    ON CONFLICT (source, event_id) DO NOTHING
    RETURNING source, event_id, occurred_at, ${DIMENSION_COLUMNS.join(', ')}, currency, unpriced,
      cost, ${TOKEN_COLUMNS.join(', ')}
  ), rollup AS (
    INSERT INTO usage_hourly (${[...HOURLY_KEY, ...HOURLY_SUMS].join(', ')})
    SELECT date_trunc('hour', occurred_at, 'UTC'), ${DIMENSION_COLUMNS.join(', ')}, currency,
      count(*), count(*) FILTER (WHERE unpriced), sum(cost),
      ${TOKEN_COLUMNS.map((column) => `sum(${column})`).join(', ')}
    FROM inserted
    GROUP BY ${HOURLY_KEY.map((_, index) => index + 1).join(', ')}
    ORDER BY ${HOURLY_KEY.map((_, index) => index + 1).join(', ')}
    ON CONFLICT (${HOURLY_KEY.join(', ')})
    DO UPDATE SET ${HOURLY_SUMS.map((column) => `${column} = usage_hourly.${column} + EXCLUDED.${column}`).join(', ')}
  )
  SELECT source, event_id FROM inserted`;

/** A row the batch statement answers: an event it inserted (not already stored). */
interface InsertedRow {
  source: string;
  event_id: string;
}

/** The batch's events the statement inserted: their item indexes and priced events. */
function insertedOnes(
  events: { index: number; priced: PricedEvent }[],
  returned: InsertedRow[],
): { indexes: number[]; stored: PricedEvent[] } {
  // The batch holds each stored identity once: as many rows as events means all were inserted.
  if (returned.length === events.length) {
    return {
      indexes: events.map((entry) => entry.index),
      stored: events.map((entry) => entry.priced),
    };
  }
  const inserted = new Set(returned.map((row) => `${row.source}\u0000${row.event_id}`));
  const indexes: number[] = [];
  const stored: PricedEvent[] = [];
  for (const entry of events) {
    const { event } = entry.priced;
    if (!inserted.has(storedIdentity(event.source, event.id))) continue;
    indexes.push(entry.index);
    stored.push(entry.priced);
  }
  return { indexes, stored };
}

export { priceEvent } from './ingest-prepare';

/**
 * The one ingest pipeline behind NATS, HTTP and GraphQL: validate → normalize → dedupe on
 * (source, id) → price at the event's timestamp → persist all or nothing (multi-row insert,
 * rollups, hooks) → publish dead letters. A transient database failure throws a
 * retryable error and stores nothing; the caller retries the whole batch.
 */
export class IngestService {
  private readonly hooks: RegisteredHook[] = [];
  private readonly beforeStoreSteps: ((events: PricedEvent[]) => Promise<void>)[] = [];

  constructor(
    private readonly deps: {
      env: Env;
      dataSource: DataSource;
      pricing: PricingService;
      logger: Logger;
      metrics: Metrics;
      nats: () => NatsConnection | null;
      /** The service's clock: what is late or early, and when a letter was dead. */
      clock: () => Date;
    },
  ) {}

  /** Deliveries of a NATS message before it is dead-lettered (`INGEST_MAX_DELIVERIES`). */
  get maxDeliveries(): number {
    return this.deps.env.INGEST_MAX_DELIVERIES;
  }

  /** Registers work to run inside the ingest transaction for the stored events. */
  onStored(hook: StoredEventsHook, options: StoredEventsHookOptions = {}): void {
    this.hooks.push({ hook, mayAct: options.mayAct });
  }

  /**
   * Registers work on a batch's priced events before they are stored, outside the
   * transaction (e.g. completing the attribution of usage that names a decision). It may
   * change what is stored; it throws UNAVAILABLE when the database cannot be reached.
   */
  beforeStore(step: (events: PricedEvent[]) => Promise<void>): void {
    this.beforeStoreSteps.push(step);
  }

  /** Tells each event who sent it, then runs the {@link beforeStore} steps. */
  private async prepareStore(prepared: Prepared[], items: IngestItem[]): Promise<void> {
    const events: PricedEvent[] = [];
    for (const entry of prepared) {
      if (entry.kind !== 'event') continue;
      const sender = items[entry.index]?.senderKeyId;
      if (sender !== undefined) entry.priced.senderKeyId = sender;
      events.push(entry.priced);
    }
    for (const step of this.beforeStoreSteps) await step(events);
  }

  /**
   * Ingests a batch; the outcomes are in the order of `items`. With `deadLetter: false`
   * (replays), a rejected event is answered but not dead-lettered again.
   */
  async ingest(
    items: IngestItem[],
    path: string,
    options: { deadLetter?: boolean } = {},
  ): Promise<IngestOutcome[]> {
    const recordRejections = options.deadLetter !== false;
    const timer = this.deps.metrics.ingestBatchSeconds.startTimer();
    const now = this.deps.clock();
    const parseOptions = {
      now,
      maxFutureSkewMs: this.deps.env.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
      maxAgeMs: this.deps.env.INGEST_MAX_AGE_DAYS * 86_400_000,
    };
    const { outcomes, prepared } = prepareBatch(items, {
      parseOptions,
      catalog: await this.deps.pricing.catalog(),
      recordRejections,
      logger: this.deps.logger,
    });
    await this.prepareStore(prepared, items);
    const stored = await this.persist(prepared, path, now, items);
    for (const entry of prepared) {
      if (entry.kind === 'event' && stored.accepted.has(entry.index))
        outcomes[entry.index].status = 'accepted';
      if (entry.kind === 'dead' || stored.unprocessable.has(entry.index)) {
        const reason =
          entry.kind === 'dead'
            ? entry.letter.reason
            : stored.unprocessable.get(entry.index)!.reason;
        outcomes[entry.index] = { ...outcomes[entry.index], status: 'rejected', reason };
      }
    }
    await this.publishDeadLetters(
      [
        ...prepared.flatMap((entry) => (entry.kind === 'dead' ? [entry.letter] : [])),
        ...stored.unprocessable.values(),
      ],
      path,
    );
    const counts: Record<IngestStatus, number> = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const outcome of outcomes) counts[outcome.status] += 1;
    for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) {
      if (counts[outcome] > 0)
        this.deps.metrics.ingestEvents.inc({ path, outcome }, counts[outcome]);
    }
    timer();
    return outcomes;
  }

  /**
   * Dead-letters a NATS message that kept failing (`retries_exhausted`), on its own, once its
   * deliveries reached {@link maxDeliveries}: `reason` says how often and the last error. A
   * database it cannot reach throws `UNAVAILABLE`: the message then stays in JetStream.
   */
  async deadLetterUndeliverable(item: IngestItem, reason: string): Promise<void> {
    const now = this.deps.clock();
    let identity: { id?: string; source?: string } = {};
    try {
      const parsed = parseUsageEventJson(item.body as string | Uint8Array, { now });
      identity = parsed.ok ? parsed.event : parsed.details;
    } catch {
      // Its identity is a courtesy to the reader; the payload is what counts.
    }
    const letter = deadLetterOf(
      item,
      reason,
      'retries_exhausted',
      'RETRIES_EXHAUSTED',
      [],
      now,
      identity,
    );
    try {
      await insertDeadLetters(this.deps.dataSource, [letter]);
    } catch (error) {
      throw isTransientDatabaseError(error) ? unavailable(error) : error;
    }
    this.deps.metrics.ingestEvents.inc({ path: 'nats', outcome: 'rejected' });
    await this.publishDeadLetters([letter], 'nats');
  }

  /**
   * Writes the batch in one transaction. When the database rejects the data itself (not a
   * connection problem), the batch is split in halves until the offending event is alone;
   * it is then dead-lettered as unprocessable and the rest is stored.
   */
  private async persist(
    prepared: Prepared[],
    path: string,
    now: Date,
    items: IngestItem[],
  ): Promise<{ accepted: Set<number>; unprocessable: Map<number, DeadLetter> }> {
    const accepted = new Set<number>();
    const unprocessable = new Map<number, DeadLetter>();
    const attempt = async (part: Prepared[]): Promise<void> => {
      if (part.length === 0) return;
      try {
        const inserted = await this.writeBatch(part, path);
        for (const index of inserted) accepted.add(index);
      } catch (error) {
        if (isTransientDatabaseError(error)) throw unavailable(error);
        if (part.length === 1) {
          const [entry] = part;
          if (entry.kind === 'dead') throw error;
          const reason = `unprocessable: the database rejected the event: ${(error as Error).message}`;
          const letter = deadLetterOf(
            items[entry.index],
            reason,
            'unprocessable',
            'DATABASE_REJECTED',
            [],
            now,
            entry.priced.event,
          );
          await this.writeBatch([{ kind: 'dead', index: entry.index, letter }], path).catch(
            (retryError) => {
              throw isTransientDatabaseError(retryError) ? unavailable(retryError) : retryError;
            },
          );
          unprocessable.set(entry.index, letter);
          this.deps.logger.warn(
            { err: error, id: entry.priced.event.id },
            'event rejected by the database; dead-lettered',
          );
          return;
        }
        const middle = Math.ceil(part.length / 2);
        await attempt(part.slice(0, middle));
        await attempt(part.slice(middle));
      }
    };
    await attempt(prepared);
    return { accepted, unprocessable };
  }

  /**
   * Writes events (deduped by the unique key) with their rollups, the hooks' work and dead
   * letters, all or nothing: in one transaction, or as the one statement it is when there are
   * no dead letters and no hook may act (a statement is atomic and, committed synchronously,
   * durable when it answers).
   */
  private async writeBatch(part: Prepared[], path: string): Promise<number[]> {
    const events: { index: number; priced: PricedEvent }[] = [];
    const letters: DeadLetter[] = [];
    for (const entry of part) {
      if (entry.kind === 'event') events.push(entry);
      else letters.push(entry.letter);
    }
    const priced = events.map((entry) => entry.priced);
    // Encoded before a connection is taken, so that none waits on it.
    const document = events.length > 0 ? eventRowsJson(priced) : undefined;
    const hooks = events.length > 0 ? await this.hooksFor(priced) : [];
    if (document !== undefined && hooks.length === 0 && letters.length === 0) {
      const returned: InsertedRow[] = await this.deps.dataSource.query(INSERT_EVENTS_SQL, [
        document,
        path,
      ]);
      return insertedOnes(events, returned).indexes;
    }
    const afterCommit: (() => void)[] = [];
    const insertedIndexes = await this.deps.dataSource.transaction(async (manager) => {
      let indexes: number[] = [];
      if (document !== undefined) {
        const returned: InsertedRow[] = await manager.query(INSERT_EVENTS_SQL, [document, path]);
        const inserted = insertedOnes(events, returned);
        indexes = inserted.indexes;
        for (const hook of hooks) {
          const after = await hook(manager, inserted.stored);
          if (after) afterCommit.push(after);
        }
      }
      if (letters.length > 0) await insertDeadLetters(manager, letters);
      return indexes;
    });
    for (const after of afterCommit) after();
    return insertedIndexes;
  }

  /** The hooks that may have work for these events. */
  private async hooksFor(events: PricedEvent[]): Promise<StoredEventsHook[]> {
    const hooks: StoredEventsHook[] = [];
    for (const { hook, mayAct } of this.hooks) {
      if (!mayAct || (await mayAct(events))) hooks.push(hook);
    }
    return hooks;
  }

  /**
   * Publishes stored dead letters to `purser.usage.dlq`. From NATS, a failure surfaces, so the
   * message is not acknowledged and its redelivery publishes again (the same msg id); from
   * HTTP or GraphQL, whose letters are committed and whose caller has its answer, it is logged.
   */
  private async publishDeadLetters(letters: DeadLetter[], path: string): Promise<void> {
    const nats = this.deps.nats();
    if (!nats || letters.length === 0) return;
    try {
      for (const letter of letters) {
        this.deps.logger.warn(
          { reason: letter.reason, subject: letter.subject, event_id: letter.event_id },
          'usage event dead-lettered',
        );
        // Published through JetStream (the usage stream keeps purser.usage.>).
        await jetstream(nats).publish(USAGE_DLQ_SUBJECT, JSON.stringify(letter), {
          msgID: letter.stream_sequence !== undefined ? `dlq-${letter.stream_sequence}` : undefined,
        });
      }
    } catch (error) {
      if (path === 'nats') throw error;
      this.deps.logger.error({ err: error }, 'dead letters stored but not published to NATS');
    }
  }
}
