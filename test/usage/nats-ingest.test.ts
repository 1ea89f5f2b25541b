// What unit tests cannot catch: the JetStream path end to end against a real nats-server
// and a real database — republished events stored once (with and without JetStream's own
// Nats-Msg-Id dedupe), poison messages dead-lettered to the table and to purser.usage.dlq
// without blocking the stream, two replicas splitting one durable consumer, CloudEvents.
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent, realisticUsageEvents } from '@purser/adapters/testing';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../support/database';
import {
  connectNats,
  createIngestConsumer,
  deleteIngestConsumer,
  eventually,
  publishAll,
  readDeadLetters,
  uniqueHour,
  uniqueName,
  usageMessages,
  waitForConsumerIdle,
} from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';

async function countRows(service: RunningPurser, source: string): Promise<number> {
  const [row] = await service.purser.dataSource.query(
    'SELECT count(*)::int AS n FROM usage_events WHERE source = $1',
    [source],
  );
  return row.n;
}

describe('NATS JetStream ingest', () => {
  let nats: NatsConnection;
  const consumers: string[] = [];
  const services: RunningPurser[] = [];

  beforeAll(async () => {
    nats = await connectNats();
  });
  // Stopped after each test: a running consumer also receives the next tests' messages.
  afterEach(async () => {
    for (const service of services.splice(0).reverse()) await service.stop();
    for (const name of consumers.splice(0)) await deleteIngestConsumer(nats, name);
  });
  afterAll(() => nats.close());

  async function freshService(
    options: { database?: TestDatabase; env?: Record<string, string>; consumer?: string } = {},
  ) {
    const consumer = options.consumer ?? uniqueName('purser-test');
    if (!options.consumer) {
      await createIngestConsumer(nats, consumer);
      consumers.push(consumer);
    }
    const service = await startPurser({
      nats: true,
      database: options.database,
      env: { INGEST_CONSUMER_NAME: consumer, ...options.env },
    });
    services.push(service);
    return { service, consumer };
  }

  it('should store an event once, however often and under whatever msg id it is republished', async () => {
    const { service, consumer } = await freshService();
    const source = uniqueName('nats-once');
    const hour = uniqueHour();
    const event = makeUsageEvent({
      id: 'evt-republished',
      source,
      provider: 'openai',
      model: 'gpt-4o-mini',
      timestamp: hour.toISOString(),
      usage: { input_tokens: 1000, cache_read_tokens: 2000, output_tokens: 500 },
    });
    const subject = usageSubject('openai');
    const acks = await publishAll(
      nats,
      [
        { subject, body: event, msgId: `${source}:${event.id}` },
        { subject, body: event, msgId: `${source}:${event.id}` },
        // A different msg id (a gateway retry that re-stamped it) and none at all: JetStream
        // keeps both, only the (source, id) key can catch them.
        { subject, body: event, msgId: `${source}:${event.id}:retry` },
        { subject, body: event, msgId: null },
      ],
      1,
    );
    expect(acks.map((ack) => ack.duplicate)).toEqual([false, true, false, false]);
    await waitForConsumerIdle(nats, consumer);

    const rows = await service.purser.dataSource.query(
      'SELECT event_id, cost::text AS cost, ingest_path FROM usage_events WHERE source = $1',
      [source],
    );
    // 1000×0.15 + 2000×0.075 + 500×0.60 per 1M
    expect(rows).toEqual([{ event_id: event.id, cost: '0.0006', ingest_path: 'nats' }]);
    const [hourly] = await service.purser.dataSource.query(
      `SELECT sum(requests)::int AS requests, sum(cost)::text AS cost FROM usage_hourly
       WHERE hour = $1 AND model = 'gpt-4o-mini' AND team = 'search'`,
      [hour],
    );
    expect(hourly).toEqual({ requests: 1, cost: '0.0006' });
  });

  it('should store the good events of a mixed batch, dead-letter the bad ones and move on', async () => {
    const { service, consumer } = await freshService();
    const since = new Date(Date.now() - 1000);
    const source = uniqueName('nats-mixed');
    const subject = usageSubject('anthropic');
    const good = makeUsageEvent({ id: 'good-1', source });
    const badJson = `{"id": "broken", "source": "${source}", "usage": {`;
    const negative = makeUsageEvent({
      id: 'negative',
      source,
      usage: { input_tokens: -5, output_tokens: 1 },
    });
    const missingId = makeUsageEvent({ id: undefined, source });
    const future = makeUsageEvent({
      id: 'future',
      source,
      timestamp: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const good2 = makeUsageEvent({ id: 'good-2', source });
    const bodies: unknown[] = [good, badJson, negative, missingId, future, good2];
    const acks = await publishAll(
      nats,
      bodies.map((body, index) => ({ subject, body, msgId: `${source}:${index}` })),
      1,
    );
    await waitForConsumerIdle(nats, consumer);

    const stored = await service.purser.dataSource.query(
      'SELECT event_id FROM usage_events WHERE source = $1 ORDER BY event_id',
      [source],
    );
    expect(stored).toEqual([{ event_id: 'good-1' }, { event_id: 'good-2' }]);

    const badSequences = acks.slice(1, 5).map((ack) => ack.seq);
    const letters: {
      stream_sequence: string;
      origin: string;
      subject: string;
      event_id: string | null;
      reason: string;
      payload: string;
    }[] = await service.purser.dataSource.query(
      `SELECT stream_sequence::text, origin, subject, event_id, reason, payload FROM dead_letters
       WHERE stream_sequence = ANY($1::bigint[]) ORDER BY stream_sequence`,
      [badSequences],
    );
    expect(letters.map((letter) => [Number(letter.stream_sequence), letter.event_id])).toEqual([
      [badSequences[0], null],
      [badSequences[1], 'negative'],
      [badSequences[2], null],
      [badSequences[3], 'future'],
    ]);
    expect(letters.every((letter) => letter.origin === 'nats' && letter.subject === subject)).toBe(
      true,
    );
    // The original payload is kept byte for byte, so an operator can fix and republish it.
    expect(letters.map((letter) => letter.payload)).toEqual([
      badJson,
      JSON.stringify(negative),
      JSON.stringify(missingId),
      JSON.stringify(future),
    ]);
    expect(letters[0].reason).toMatch(/json/i);
    expect(letters[1].reason).toContain('usage.input_tokens');
    expect(letters[2].reason).toContain('id');
    expect(letters[3].reason).toContain('timestamp');

    const published = await readDeadLetters(nats, {
      since,
      count: 4,
      accept: (letter) => badSequences.includes(letter.stream_sequence ?? -1),
    });
    const bySequence = new Map(published.map(({ letter }) => [letter.stream_sequence, letter]));
    expect([...bySequence.keys()].sort((a, b) => a! - b!)).toEqual(badSequences);
    letters.forEach((row) => {
      const letter = bySequence.get(Number(row.stream_sequence))!;
      // The published copy may come from another suite's consumer of the shared stream
      // (JetStream keeps the first per stream sequence), so time-dependent words may differ.
      expect(letter.reason.split(' ')[0]).toBe(row.reason.split(' ')[0]);
      expect(letter.event_id).toBe(row.event_id ?? undefined);
      expect(letter).toMatchObject({
        payload: row.payload,
        payload_encoding: 'utf8',
        subject,
        kind: 'invalid_event',
        delivery_count: 1,
      });
    });

    // The stream is not blocked behind the poison messages.
    const later = makeUsageEvent({ id: 'later', source });
    await publishAll(nats, [{ subject, body: later, msgId: `${source}:later` }]);
    await eventually(async () => expect(await countRows(service, source)).toBe(3));
  });

  it('should ingest a CloudEvents 1.0 envelope published to JetStream', async () => {
    const { service, consumer } = await freshService();
    const source = uniqueName('nats-ce');
    const data = makeUsageEvent({ id: undefined, source: undefined, timestamp: undefined });
    const envelope = {
      specversion: '1.0',
      type: 'purser.usage.v1',
      source,
      id: 'ce-1',
      time: '2026-11-02T10:15:00Z',
      datacontenttype: 'application/json',
      data,
    };
    await publishAll(nats, [
      { subject: usageSubject('openai'), body: envelope, msgId: 'x' + source },
    ]);
    await waitForConsumerIdle(nats, consumer);
    const rows = await service.purser.dataSource.query(
      `SELECT event_id, occurred_at, model FROM usage_events WHERE source = $1`,
      [source],
    );
    expect(rows).toEqual([
      { event_id: 'ce-1', occurred_at: new Date('2026-11-02T10:15:00Z'), model: data.model },
    ]);
  });

  // Embedded PGlite is one process's database; two instances cannot share it.
  (hasPostgres ? it : it.skip)(
    'should let two replicas on one database and one durable consumer split the work, each event stored once' +
      (hasPostgres ? '' : ' (skipped: needs DATABASE_URL, PGlite cannot be shared)'),
    async () => {
      const database = await createTestDatabase();
      const consumer = uniqueName('purser-test');
      await createIngestConsumer(nats, consumer);
      consumers.push(consumer);
      // Small batches so that both replicas get a share of 2,000 messages.
      const env = { INGEST_BATCH_SIZE: '50' };
      const handled: number[][] = [[], []];
      const replicas = [];
      for (const index of [0, 1]) {
        const { service } = await freshService({ database, env, consumer });
        const usageConsumer = service.purser.consumer!;
        const original = usageConsumer.handle.bind(usageConsumer);
        usageConsumer.handle = async (messages: JsMsg[]) => {
          handled[index]!.push(...messages.map((message) => message.seq));
          return original(messages);
        };
        replicas.push(service);
      }
      try {
        const source = uniqueName('nats-replicas');
        const start = uniqueHour();
        const events = [...realisticUsageEvents(2000, 7, { source, start })];
        await publishAll(nats, usageMessages(source, events));
        await waitForConsumerIdle(nats, consumer, 60_000);
        expect(await countRows(replicas[0]!, source)).toBe(2000);
        const [hourly] = await replicas[0]!.purser.dataSource.query(
          'SELECT sum(requests)::int AS requests FROM usage_hourly WHERE hour = $1',
          [start],
        );
        expect(hourly.requests).toBe(2000);
        expect(handled[0]!.length).toBeGreaterThan(0);
        expect(handled[1]!.length).toBeGreaterThan(0);
        // Each message went to one replica only (no redelivery was needed).
        expect(new Set([...handled[0]!, ...handled[1]!]).size).toBe(
          handled[0]!.length + handled[1]!.length,
        );
      } finally {
        for (const replica of services.splice(0)) await replica.stop();
        await database.drop();
      }
    },
  );
});
