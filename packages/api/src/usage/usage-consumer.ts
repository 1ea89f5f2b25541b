import {
  AckPolicy,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type Consumer,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { USAGE_INGEST_FILTER, USAGE_STREAM, USAGE_SUBJECTS } from '@purser/adapters';
import { PurserError } from '../errors';
import type { Logger } from '../observability/logger';
import type { IngestService } from './ingest.service';
import type { IngestItem } from './ingest-types';

const SECOND_NS = 1_000_000_000;
/** How long JetStream waits for an ack before redelivering. */
const ACK_WAIT_SECONDS = 60;

export interface UsageConsumerOptions {
  nats: NatsConnection;
  ingest: IngestService;
  logger: Logger;
  durableName: string;
  batchSize: number;
  /** Fetch loops per instance; each also fetches and validates its next batch while one is written. */
  concurrency?: number;
  /**
   * Deliveries after which a message that still cannot be stored is dead-lettered
   * (`retries_exhausted`); default: the ingest service's `INGEST_MAX_DELIVERIES`.
   */
  maxDeliveries?: number;
}

/** Creates the usage stream and the shared durable pull consumer when they are missing. */
export async function ensureUsageStream(nats: NatsConnection, durableName: string): Promise<void> {
  const manager = await jetstreamManager(nats);
  try {
    await manager.streams.info(USAGE_STREAM);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) {
      throw error;
    }
    await manager.streams.add({
      name: USAGE_STREAM,
      subjects: [USAGE_SUBJECTS],
      storage: StorageType.File,
      // Publishers set Nats-Msg-Id to the event id: JetStream drops republished copies in
      // this window; the (source, id) key in Postgres catches the rest.
      duplicate_window: 10 * 60 * SECOND_NS,
    });
  }
  try {
    await manager.consumers.info(USAGE_STREAM, durableName);
  } catch (error) {
    if (!(
      error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound
    )) {
      throw error;
    }
    // Redelivery is unlimited on the server: the ceiling (INGEST_MAX_DELIVERIES) is applied
    // here, where a message that reached it can still be dead-lettered. A server-side
    // max_deliver would drop the message from the consumer even when its last delivery found
    // the database down, and nothing would be stored anywhere.
    await manager.consumers.add(USAGE_STREAM, {
      durable_name: durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: USAGE_INGEST_FILTER,
      ack_wait: ACK_WAIT_SECONDS * SECOND_NS,
      max_ack_pending: 50_000,
      max_deliver: -1,
    });
  }
}

/**
 * A message as an ingest item. The stream sequence and delivery count are parsed from the
 * reply subject only when asked for (a dead letter records them); most events never need them.
 * A class, so that the getters live on its prototype instead of as two closures per message.
 */
class MessageItem implements IngestItem {
  readonly raw = true;
  constructor(private readonly message: JsMsg) {}
  get body(): Uint8Array {
    return this.message.data;
  }
  get subject(): string {
    return this.message.subject;
  }
  get streamSequence(): number {
    return this.message.info.streamSequence;
  }
  get deliveryCount(): number {
    return this.message.info.deliveryCount;
  }
}

function ingestItem(message: JsMsg): IngestItem {
  return new MessageItem(message);
}

/** Batches a fetch loop has in flight: one being written while the next is fetched and priced. */
const PIPELINE_DEPTH = 2;

/** Redelivery delay after a failed write: exponential from 250 ms, capped at 30 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, Math.min(deliveryCount - 1, 10)));
}

/**
 * The ingest side of JetStream: several fetch loops on the shared durable consumer (so any
 * number of replicas split the stream), each handing a batch to the ingest pipeline and
 * acknowledging only after the batch is committed. A failed write naks the batch with a
 * backoff, so the events wait in JetStream; nothing is acknowledged that is not stored or
 * dead-lettered.
 */
export class UsageConsumer {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly options: UsageConsumerOptions) {}

  async start(): Promise<void> {
    const { nats, durableName, logger } = this.options;
    await ensureUsageStream(nats, durableName);
    const consumer = await jetstream(nats).consumers.get(USAGE_STREAM, durableName);
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 1 }, (_, index) =>
      this.loop(consumer, index),
    );
    logger.info({ stream: USAGE_STREAM, consumer: durableName }, 'usage consumer started');
  }

  private async loop(consumer: Consumer, index: number): Promise<void> {
    const { logger, batchSize } = this.options;
    // Batches of this loop being stored: the next fetch (and its validation and pricing)
    // overlaps the write of the previous batch. Each batch is still acknowledged only after
    // its own commit; a failed batch keeps its slot through its backoff, so a loop whose
    // writes fail stops fetching once PIPELINE_DEPTH batches wait.
    const inFlight = new Set<Promise<void>>();
    while (this.running) {
      while (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight);
      if (!this.running) break;
      const messages: JsMsg[] = [];
      let failed = false;
      try {
        const batch = await consumer.fetch({ max_messages: batchSize, expires: 1000 });
        for await (const message of batch) messages.push(message);
      } catch (error) {
        // A fetch can end in error (e.g. "heartbeats missed" while the event loop or the
        // server is busy) after some messages arrived. They are delivered to us: dropping
        // them would stall them until ack_wait expires, so they are handled like any batch.
        failed = true;
        if (this.running) {
          logger.warn(
            { err: error, loop: index, received: messages.length },
            'fetching usage messages failed; retrying',
          );
        }
      }
      if (messages.length > 0) {
        const settled: Promise<void> = this.handle(messages)
          .catch((error: unknown) => {
            // handle() only throws when even the nak cannot be sent (connection closed): the
            // messages come back after ack_wait; this loop must survive to fetch again.
            logger.warn({ err: error, loop: index }, 'usage batch could not be settled');
          })
          .finally(() => inFlight.delete(settled));
        inFlight.add(settled);
      }
      if (failed && this.running) await this.sleep(messages.length > 0 ? 0 : 1000);
    }
    await Promise.allSettled(inFlight);
  }

  /**
   * Exposed for tests: processes one batch with the ack/nak rules above. A batch that fails
   * with the database unreachable is nak'd whole with a backoff. Any other failure, or one
   * that reached a message's last delivery, is settled message by message
   * ({@link settleOneByOne}), so the good events beside a bad one are stored.
   */
  async handle(messages: JsMsg[]): Promise<void> {
    const { ingest, logger } = this.options;
    // Long batches tell JetStream they are still being worked on, so it does not redeliver.
    const keepAlive = setInterval(
      () => messages.forEach((message) => message.working()),
      (ACK_WAIT_SECONDS * 1000) / 3,
    );
    try {
      await ingest.ingest(messages.map(ingestItem), 'nats');
      for (const message of messages) message.ack();
    } catch (error) {
      const lastDelivery = messages.some((message) => this.isLastDelivery(message));
      if (!lastDelivery && isUnavailable(error)) {
        await this.nakAll(messages, error);
      } else {
        logger.warn(
          { err: error, messages: messages.length },
          'usage batch not stored; settling its messages one by one',
        );
        await this.settleOneByOne(messages);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private isLastDelivery(message: JsMsg): boolean {
    return message.info.deliveryCount >= this.maxDeliveries;
  }

  private get maxDeliveries(): number {
    return this.options.maxDeliveries ?? this.options.ingest.maxDeliveries;
  }

  /** Naks every message with the backoff of the most delivered one, and waits that long. */
  private async nakAll(messages: JsMsg[], error: unknown): Promise<void> {
    const delay = retryDelayMs(Math.max(...messages.map((message) => message.info.deliveryCount)));
    this.options.logger.warn(
      { err: error, messages: messages.length, retry_in_ms: delay },
      'usage batch not stored; it will be redelivered',
    );
    for (const message of messages) message.nak(delay);
    await this.sleep(delay);
  }

  /**
   * Ingests each message alone: stored (or dead-lettered by ingest) → ack. One that still
   * fails on its last delivery is dead-lettered as `retries_exhausted` ("redelivered N times:
   * <its error>"); before that it is nak'd with a backoff. Once the database is found
   * unreachable, the rest are nak'd without trying: nothing can be stored or dead-lettered
   * until it is back.
   */
  private async settleOneByOne(messages: JsMsg[]): Promise<void> {
    const { ingest } = this.options;
    const failed: JsMsg[] = [];
    let lastError: unknown;
    for (const [index, message] of messages.entries()) {
      const rest = [message, ...failed, ...messages.slice(index + 1)];
      const item = ingestItem(message);
      try {
        await ingest.ingest([item], 'nats');
        message.ack();
        continue;
      } catch (error) {
        lastError = error;
        if (!this.isLastDelivery(message)) {
          if (isUnavailable(error)) return this.nakAll(rest, error);
          failed.push(message);
          continue;
        }
      }
      try {
        const count = message.info.deliveryCount;
        await ingest.deadLetterUndeliverable(
          item,
          `redelivered ${count} times: ${describeError(lastError)}`,
        );
        message.ack();
      } catch (error) {
        // The dead letter could not be stored either: the message stays in JetStream.
        return this.nakAll(rest, error);
      }
    }
    if (failed.length > 0) await this.nakAll(failed, lastError);
  }

  /** Waits `ms`, or less when the consumer stops; leaves nothing behind on the abort signal. */
  private sleep(ms: number): Promise<void> {
    return abortableSleep(ms, this.abort.signal);
  }

  /** Stops fetching and waits for the batches in flight to be stored and acknowledged. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }
}

/** Whether ingest failed because the database could not be reached (retry the same later). */
function isUnavailable(error: unknown): boolean {
  return error instanceof PurserError && error.code === 'UNAVAILABLE';
}

/** The last error, in one line, for a dead letter's reason. */
function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause instanceof Error && cause.message !== message
    ? `${message} (${cause.message})`
    : message;
}

/**
 * Resolves after `ms`, or at once when `signal` aborts; its abort listener is removed either
 * way, so a long-lived signal does not collect one listener per sleep.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
