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
import { connect, createInbox, headers, type NatsConnection } from '@nats-io/transport-node';
import {
  deadLetterSchema,
  type DeadLetter,
  NATS_MSG_ID_HEADER,
  USAGE_DLQ_SUBJECT,
  USAGE_INGEST_FILTER,
  USAGE_STREAM,
  USAGE_SUBJECTS,
  usageSubject,
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

/** Each event as a message on its provider's usage subject, with the Nats-Msg-Id `source:id`. */
export function usageMessages(
  source: string,
  events: { id?: unknown; provider?: unknown }[],
): OutgoingMessage[] {
  return events.map((event) => ({
    subject: usageSubject(String(event.provider)),
    body: event,
    msgId: `${source}:${String(event.id)}`,
  }));
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

/** What {@link publishPipelined} reports once every message is acknowledged by its stream. */
export interface PipelinedResult {
  /** Messages the stream recognized by their Nats-Msg-Id and did not store again. */
  duplicates: number;
}

/**
 * Publishes through JetStream as a busy gateway does, for load generation: each message is a
 * plain NATS publish whose reply subject is under one inbox of ours, where the stream's
 * acknowledgement (PubAck) arrives; up to `window` wait for theirs at any time. The client's
 * `publish` (see {@link publishAll}) gives every message a request, a timer, a promise and
 * errors made ahead for their stack traces: several times the CPU of the publish itself. Every acknowledgement is still
 * read: an error, a message no stream takes, or `stallMs` without any acknowledgement rejects.
 * Bodies are sent as they are (text or bytes).
 */
export function publishPipelined(
  nats: NatsConnection,
  messages: { subject: string; body: string | Uint8Array; msgId: string }[],
  options: { window?: number; stallMs?: number } = {},
): Promise<PipelinedResult> {
  const window = options.window ?? 1024;
  const stallMs = options.stallMs ?? 30_000;
  const inbox = createInbox();
  const decoder = new TextDecoder();
  return new Promise((resolve, reject) => {
    let next = 0;
    let acknowledged = 0;
    let duplicates = 0;
    let lastAck = Date.now();
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      subscription.unsubscribe();
      if (error) reject(error);
      else resolve({ duplicates });
    };
    const send = () => {
      const index = next;
      next += 1;
      const message = messages[index]!;
      const header = headers();
      header.set(NATS_MSG_ID_HEADER, message.msgId);
      try {
        nats.publish(message.subject, message.body, {
          reply: `${inbox}.${index}`,
          headers: header,
        });
      } catch (error) {
        finish(error as Error);
      }
    };
    const subscription = nats.subscribe(`${inbox}.*`, {
      callback: (error, reply) => {
        if (error) return finish(error);
        if (reply.data.length === 0) {
          // A status without a body: 503 when no stream takes the subject.
          const index = Number(reply.subject.slice(inbox.length + 1));
          return finish(
            new Error(
              `no stream acknowledged ${messages[index]?.subject} (status ${reply.headers?.code})`,
            ),
          );
        }
        const ack = JSON.parse(decoder.decode(reply.data)) as {
          error?: { code: number; description: string };
          duplicate?: boolean;
        };
        if (ack.error)
          return finish(new Error(`JetStream refused a message: ${ack.error.description}`));
        if (ack.duplicate) duplicates += 1;
        acknowledged += 1;
        lastAck = Date.now();
        if (acknowledged === messages.length) finish();
        else if (next < messages.length) send();
      },
    });
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastAck > stallMs)
          finish(
            new Error(
              `no acknowledgement for ${stallMs} ms (${acknowledged} of ${messages.length})`,
            ),
          );
      },
      Math.min(1000, stallMs),
    );
    if (messages.length === 0) return finish();
    while (!done && next < Math.min(window, messages.length)) send();
  });
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
