// The usage consumer overlaps fetching and validating a batch with the write of the one
// before, against a real nats-server and database: a batch whose write is slow does not stop
// its loop from storing the next one, and stays unacknowledged until its own commit.
import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { USAGE_STREAM, usageSubject } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import {
  connectNats,
  createIngestConsumer,
  deleteIngestConsumer,
  eventually,
  publishAll,
  uniqueName,
  waitForConsumerIdle,
} from '../support/nats';
import { startPurser, type RunningPurser } from '../support/purser';

describe('usage consumer pipeline', () => {
  let nats: NatsConnection;
  let service: RunningPurser | undefined;
  const consumer = uniqueName('purser-pipeline');

  beforeAll(async () => {
    nats = await connectNats();
    await createIngestConsumer(nats, consumer);
  });
  afterAll(async () => {
    await service?.stop();
    await deleteIngestConsumer(nats, consumer);
    await nats.close();
  });

  it('should store the next batch while one is written, acking each only after its commit', async () => {
    service = await startPurser({
      nats: true,
      env: { INGEST_CONSUMER_NAME: consumer, INGEST_BATCH_SIZE: '5', INGEST_CONCURRENCY: '1' },
    });
    const source = uniqueName('pipeline');
    const running = service.purser.consumer!;
    const original = running.handle.bind(running);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held: JsMsg[] | undefined;
    running.handle = async (messages) => {
      if (held === undefined) {
        held = messages;
        await gate;
      }
      return original(messages);
    };
    const count = async () => {
      const [row] = await service!.purser.dataSource.query(
        'SELECT count(*)::int AS n FROM usage_events WHERE source = $1',
        [source],
      );
      return row.n as number;
    };
    const publish = (from: number, to: number) =>
      publishAll(
        nats,
        Array.from({ length: to - from }, (_, offset) => {
          const event = makeUsageEvent({ id: `p${from + offset}`, source });
          return {
            subject: usageSubject('openai'),
            body: event,
            msgId: `${source}-${from + offset}`,
          };
        }),
      );

    await publish(0, 5);
    // The first fetch may end (expire) before all five arrive: the held batch is what it got.
    await eventually(() => expect(held).toBeDefined());
    const heldCount = held!.length;
    await publish(5, 10);
    // The second batch is stored while the first one's write is still held back…
    await eventually(async () => expect(await count()).toBe(10 - heldCount));
    const manager = await jetstreamManager(nats);
    // …and only the held batch is still unacknowledged.
    await eventually(async () =>
      expect((await manager.consumers.info(USAGE_STREAM, consumer)).num_ack_pending).toBe(
        heldCount,
      ),
    );
    const stored: { event_id: string }[] = await service.purser.dataSource.query(
      'SELECT event_id FROM usage_events WHERE source = $1',
      [source],
    );
    const heldIds = held!.map((message) => (message.json() as { id: string }).id);
    expect(stored.map((row) => row.event_id).filter((id) => heldIds.includes(id))).toEqual([]);

    release();
    await waitForConsumerIdle(nats, consumer);
    expect(await count()).toBe(10);
  });
});
