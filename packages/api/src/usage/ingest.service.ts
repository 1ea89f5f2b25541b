import { type DeadLetter, parseUsageEventJson, USAGE_DLQ_SUBJECT } from '@purser/adapters';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import type { Env } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PricingService } from '../pricing/pricing.service';
import { deadLetterOf, insertDeadLetters } from './dead-letters';
import { type Prepared, prepareBatch } from './ingest-prepare';
import { INSERT_EVENTS_SQL, type InsertedRow, insertedOnes, eventRowsJson } from './usage-insert';
import { databaseUnavailable, isTransientDatabaseError } from '../db/transient';
import type { IngestItem, IngestOutcome, IngestStatus } from './ingest-types';
import type { PricedEvent } from './usage-rows';

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
    } catch (error) {
      // Its identity is a courtesy to the reader; the payload is what counts. A parser that
      // throws is a bug all the same: said, as prepareBatch says it.
      this.deps.logger.warn({ err: error }, 'usage event parser threw on an undeliverable message');
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
      throw isTransientDatabaseError(error) ? databaseUnavailable(error) : error;
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
        if (isTransientDatabaseError(error)) throw databaseUnavailable(error);
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
              throw isTransientDatabaseError(retryError)
                ? databaseUnavailable(retryError)
                : retryError;
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
