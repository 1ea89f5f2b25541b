import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type JsMsg,
  type PubAck,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import {
  deadLetterSchema,
  type DeadLetter,
  NATS_MSG_ID_HEADER,
  USAGE_DLQ_SUBJECT,
  USAGE_INGEST_FILTER,
  USAGE_STREAM,
  USAGE_SUBJECTS,
} from '@purser/adapters';

const SECOND_NS = 1_000_000_000;

/** A name no other test or run uses: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Connects to the suite's NATS server (NATS_URL, set by jest's global setup). */
export async function connectNats(url = process.env.NATS_URL): Promise<NatsConnection> {
  if (!url) throw new Error('NATS_URL is not set (jest global setup starts a nats-server)');
  return connect({ servers: url.split(','), name: 'purser-test' });
}

/**
 * Creates the usage stream as the service would when it is missing. Suites share it, so it
 * is never deleted or reconfigured here.
 */
export async function ensureUsageStreamForTests(nats: NatsConnection): Promise<void> {
  const manager = await jetstreamManager(nats);
  try {
    await manager.streams.info(USAGE_STREAM);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    try {
      await manager.streams.add({
        name: USAGE_STREAM,
        subjects: [USAGE_SUBJECTS],
        storage: StorageType.File,
        duplicate_window: 10 * 60 * SECOND_NS,
      });
    } catch (raced) {
      // Another suite created it at the same moment: fine as long as it exists now.
      await manager.streams.info(USAGE_STREAM).catch(() => Promise.reject(raced));
    }
  }
}

/**
 * Creates the durable ingest consumer a test's service instance will use, before the
 * service starts (the service leaves an existing consumer alone). `deliver_policy: New`
 * keeps older suites' messages out of it; the filter is the production one.
 */
export async function createIngestConsumer(
  nats: NatsConnection,
  name: string,
  options: { ackWaitMs?: number } = {},
): Promise<void> {
  await ensureUsageStreamForTests(nats);
  const manager = await jetstreamManager(nats);
  await manager.consumers.add(USAGE_STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    filter_subject: USAGE_INGEST_FILTER,
    ack_wait: Math.round((options.ackWaitMs ?? 60_000) / 1000) * SECOND_NS,
    max_ack_pending: 50_000,
    max_deliver: -1,
  });
}

/** Deletes a test's durable consumer; missing is fine. */
export async function deleteIngestConsumer(nats: NatsConnection, name: string): Promise<void> {
  const manager = await jetstreamManager(nats);
  await manager.consumers.delete(USAGE_STREAM, name).catch(() => false);
}

/**
 * Waits until the consumer has nothing left: no message undelivered and none delivered
 * but unacknowledged. Only then has every message published before been stored or
 * dead-lettered (the service acknowledges after commit).
 */
export async function waitForConsumerIdle(
  nats: NatsConnection,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  const manager = await jetstreamManager(nats);
  await eventually(async () => {
    const info = await manager.consumers.info(USAGE_STREAM, name);
    if (info.num_pending !== 0 || info.num_ack_pending !== 0) {
      throw new Error(
        `consumer ${name} not idle: ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged`,
      );
    }
  }, timeoutMs);
}

/** Retries `check` until it stops throwing or the time is up (then throws its last error). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** One message to publish: a body (object → JSON) and an optional Nats-Msg-Id. */
export interface OutgoingMessage {
  subject: string;
  body: unknown;
  /** Nats-Msg-Id; `null` publishes without one. */
  msgId: string | null;
}

/**
 * Publishes through JetStream with up to `window` publishes in flight, and returns the
 * acks in order. A string body is sent verbatim (malformed JSON stays malformed).
 */
export async function publishAll(
  nats: NatsConnection,
  messages: OutgoingMessage[],
  window = 256,
): Promise<PubAck[]> {
  const js = jetstream(nats);
  const acks: PubAck[] = new Array(messages.length);
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const index = next;
      next += 1;
      const message = messages[index]!;
      const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body);
      const options: { headers?: ReturnType<typeof headers> } = {};
      if (message.msgId !== null) {
        const header = headers();
        header.set(NATS_MSG_ID_HEADER, message.msgId);
        options.headers = header;
      }
      acks[index] = await js.publish(message.subject, body, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, messages.length) }, worker));
  return acks;
}

/**
 * Reads dead letters published to `purser.usage.dlq` since `since`, until `accept` has
 * taken `count` of them. Uses an ephemeral ordered consumer, so nothing is acknowledged
 * on anyone's behalf.
 */
export async function readDeadLetters(
  nats: NatsConnection,
  options: { since: Date; count: number; accept: (letter: DeadLetter) => boolean },
  timeoutMs = 20_000,
): Promise<{ letter: DeadLetter; message: JsMsg }[]> {
  const consumer = await jetstream(nats).consumers.get(USAGE_STREAM, {
    filter_subjects: USAGE_DLQ_SUBJECT,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: options.since.toISOString(),
  });
  const found: { letter: DeadLetter; message: JsMsg }[] = [];
  const messages = await consumer.consume();
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  try {
    for await (const message of messages) {
      const letter = deadLetterSchema.parse(message.json());
      if (options.accept(letter)) found.push({ letter, message });
      if (found.length >= options.count) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
    await consumer.delete().catch(() => false);
  }
  return found;
}

/**
 * A random whole hour between 2026-08-01 and 2026-11-01 (every default price card is in
 * force by then), so that a test's `usage_hourly` rows are its own even when other suites'
 * events reach its consumer.
 */
export function uniqueHour(): Date {
  const from = Date.parse('2026-08-01T00:00:00Z');
  const hours = (Date.parse('2026-11-01T00:00:00Z') - from) / 3_600_000;
  return new Date(from + Math.floor(Math.random() * hours) * 3_600_000);
}
