// A NATS message whose batch keeps failing must not come back forever: after
// INGEST_MAX_DELIVERIES deliveries it is dead-lettered ("redelivered N times: <last error>")
// and the good events fetched beside it are stored. The failure is made persistent here by a
// hook that fails like a dropped connection whenever one event is in the batch — the kind of
// failure ingest retries, so only the ceiling can end it.
import { usageSubject } from '@purser/adapters';
import { makeUsageEvent } from '@purser/adapters/testing';
import { uniqueName, waitForConsumerIdle } from '../support/nats';
import { ingestSuite, publishInOrder } from './ingest-support';

describe('NATS redelivery', () => {
  const suite = ingestSuite({ nats: true, env: { INGEST_MAX_DELIVERIES: '3' } });

  it('should end in the dead-letter queue after INGEST_MAX_DELIVERIES, the good events stored', async () => {
    const { harness, nats } = suite;
    const source = uniqueName('redelivery');
    let failures = 0;
    harness.service.purser.services.ingest.onStored(async (_manager, stored) => {
      if (!stored.some((row) => row.event.source === source && row.event.id === 'poison')) return;
      failures += 1;
      throw Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      });
    });
    const acks = await publishInOrder(nats, usageSubject('openai'), [
      makeUsageEvent({ id: 'good-1', source }),
      makeUsageEvent({ id: 'poison', source }),
      makeUsageEvent({ id: 'good-2', source }),
    ]);
    await waitForConsumerIdle(nats, harness.consumer!, 30_000);
    expect(await harness.storedIds(source)).toEqual(['good-1', 'good-2']);
    const [letter] = await harness.lettersBySequence([acks[1]!.seq]);
    expect(letter).toMatchObject({
      event_id: 'poison',
      source,
      reason: expect.stringMatching(/^redelivered 3 times: .*terminating connection/),
      details: { kind: 'retries_exhausted', delivery_count: 3 },
    });
    expect(JSON.parse(letter!.payload)).toMatchObject({ id: 'poison', source });
    // Tried on each of its deliveries, never again once dead-lettered.
    expect(failures).toBeGreaterThanOrEqual(3);
    const settled = failures;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(failures).toBe(settled);
  });
});
