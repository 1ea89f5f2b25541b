// PurserClient's usage over JetStream: each event is its own message (Purser batches them
// as it fetches), so the client's default linger there stays short; over HTTP it is 250 ms.
import { PurserClient } from '@purser/adapters/client';
import { makeUsageEvent } from '@purser/adapters/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, ensureUsageStreamForTests, uniqueName } from '../support/nats';

describe('PurserClient usage over JetStream', () => {
  let nats: NatsConnection;

  beforeAll(async () => {
    nats = await connectNats();
    await ensureUsageStreamForTests(nats);
  });
  afterAll(async () => {
    await nats.close();
  });

  it('should publish an event well within the HTTP linger by default', async () => {
    const provider = uniqueName('lingertest').replace(/-/g, '');
    const arrivals = new Map<string, number>();
    const subscription = nats.subscribe(`purser.usage.v1.${provider}`, {
      callback: (_error, message) => {
        const { id } = message.json<{ id: string }>();
        if (!arrivals.has(id)) arrivals.set(id, Date.now());
      },
    });
    await nats.flush();
    const client = new PurserClient({
      url: 'http://127.0.0.1:9', // never called: usage goes to JetStream
      apiKey: 'k',
      failMode: 'closed',
      nats,
      logger: { warn: () => undefined },
    });
    try {
      // One at a time; the fastest of five is the linger plus a publish, whatever the load.
      const delays: number[] = [];
      for (let index = 0; index < 5; index += 1) {
        const event = makeUsageEvent({ id: uniqueName('linger'), provider });
        const reported = Date.now();
        client.reportUsage(event);
        const deadline = Date.now() + 5_000;
        while (!arrivals.has(event.id) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        expect(arrivals.has(event.id)).toBe(true);
        delays.push(arrivals.get(event.id)! - reported);
      }
      // A 250 ms linger would make every one of them at least 250 ms late.
      expect(Math.min(...delays)).toBeLessThan(200);
      expect(await client.flush(5_000)).toBe(true);
    } finally {
      subscription.unsubscribe();
      await client.close(1_000);
    }
  });
});
