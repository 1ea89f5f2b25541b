// publishPipelined is the ingest bench's load generator: what it reports as published must be
// in the stream, once, with its Nats-Msg-Id and body, and any refusal must surface.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_MSG_ID_HEADER, USAGE_STREAM } from '@purser/adapters';
import { connectNats, ensureUsageStreamForTests, publishPipelined, uniqueName } from './nats';

describe('publishPipelined', () => {
  let nats: NatsConnection;
  beforeAll(async () => {
    nats = await connectNats();
    await ensureUsageStreamForTests(nats);
  });
  afterAll(() => nats.close());

  /** Every message the stream holds on `subject`, by Nats-Msg-Id. */
  async function stored(subject: string, expected: number): Promise<Map<string, string>> {
    const consumer = await jetstream(nats).consumers.get(USAGE_STREAM, {
      filter_subjects: subject,
    });
    const found = new Map<string, string>();
    const messages = await consumer.consume();
    const timer = setTimeout(() => void messages.close(), 10_000);
    try {
      for await (const message of messages) {
        found.set(message.headers?.get(NATS_MSG_ID_HEADER) ?? '', message.string());
        if (found.size >= expected && message.info.pending === 0) break;
      }
    } finally {
      clearTimeout(timer);
      await messages.close();
      await consumer.delete().catch(() => false);
    }
    return found;
  }

  it('should store every message once with its id and body, more than a window of them', async () => {
    // Under purser.usage. (the stream keeps it) but not .v1. (no ingest consumer reads it).
    const subject = `purser.usage.test.${uniqueName('pipelined')}`;
    const encoder = new TextEncoder();
    const messages = Array.from({ length: 3000 }, (_, index) => ({
      subject,
      body: index % 2 === 0 ? `{"n":${index}}` : encoder.encode(`{"n":${index}}`),
      msgId: `${subject}:${index}`,
    }));
    try {
      await expect(publishPipelined(nats, messages, { window: 64 })).resolves.toEqual({
        duplicates: 0,
      });
      // Republished: JetStream recognizes the ids and stores nothing again.
      await expect(publishPipelined(nats, messages.slice(0, 100))).resolves.toEqual({
        duplicates: 100,
      });
      const found = await stored(subject, messages.length);
      expect(found.size).toBe(messages.length);
      messages.forEach((message, index) => {
        expect(found.get(message.msgId)).toBe(`{"n":${index}}`);
      });
    } finally {
      await (await jetstreamManager(nats)).streams.purge(USAGE_STREAM, { filter: subject });
    }
  });

  it('should resolve at once when there is nothing to publish', async () => {
    await expect(publishPipelined(nats, [])).resolves.toEqual({ duplicates: 0 });
  });

  it('should reject when no stream takes the subject', async () => {
    const subject = `purser-no-stream.${uniqueName('pipelined')}`;
    await expect(
      publishPipelined(nats, [{ subject, body: '{}', msgId: 'lost' }], { stallMs: 5000 }),
    ).rejects.toThrow(`no stream acknowledged ${subject} (status 503)`);
  });
});
