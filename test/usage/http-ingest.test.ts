// What unit tests cannot catch: HTTP and GraphQL ingest against a real database — the
// unique (source, id) key deduping across requests, prices recorded per row, rejected
// events stored as dead letters, CloudEvents envelopes, late events in the right day.
import { makeUsageEvent } from '@purser/adapters/testing';
import { upsertPrice } from '../support/decisions';
import { postJson, servePurser } from '../support/purser';

describe('HTTP and GraphQL ingest', () => {
  const served = servePurser('gateway');

  const post = (body: unknown, token = served.key, contentType = 'application/json') =>
    postJson(`${served.service.url}/v1/usage`, token, body, contentType);

  it('should store an event once, however often it is posted, and price it exactly', async () => {
    const event = makeUsageEvent({
      id: `http-once-${Date.now()}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      timestamp: '2026-10-05T12:00:00Z',
      usage: { input_tokens: 1000, cache_read_tokens: 2000, output_tokens: 500 },
      attribution: { team: 'search', feature: 'chat' },
    });
    const first = await post(event);
    expect(first).toEqual({
      status: 200,
      body: {
        accepted: 1,
        duplicates: 0,
        rejected: 0,
        results: [{ id: event.id, status: 'accepted', reason: null }],
      },
    });
    const again = await post([event, event]);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2, rejected: 0 });
    const rows = await served.service.purser.dataSource.query(
      'SELECT cost::text AS cost, currency, price_card_id, unpriced, cost_breakdown FROM usage_events WHERE event_id = $1',
      [event.id],
    );
    // 1000×0.15 + 2000×0.075 + 500×0.60 per 1M = 600 / 1M
    expect(rows).toEqual([
      expect.objectContaining({
        cost: '0.0006',
        currency: 'USD',
        price_card_id: 'openai/gpt-4o-mini@2026-07-24',
        unpriced: false,
      }),
    ]);
    expect(rows[0].cost_breakdown.map((line: { key: string }) => line.key)).toEqual([
      'input_tokens',
      'cache_read_tokens',
      'output_tokens',
    ]);
  });

  it('should answer per event for a mixed batch and dead-letter the bad ones with their reason', async () => {
    const stamp = Date.now();
    const good = makeUsageEvent({ id: `mixed-good-${stamp}` });
    const negative = makeUsageEvent({
      id: `mixed-negative-${stamp}`,
      usage: { input_tokens: -5, output_tokens: 1 },
    });
    const future = makeUsageEvent({
      id: `mixed-future-${stamp}`,
      timestamp: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const result = await post([good, negative, future, { hello: 'world' }]);
    expect(result.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: 3 });
    const results = result.body.results as { id: string; status: string; reason: string }[];
    expect(results[1]).toMatchObject({ id: negative.id, status: 'rejected' });
    expect(results[1].reason).toContain('usage.input_tokens');
    expect(results[2].reason).toContain('timestamp');
    const letters = await served.service.purser.dataSource.query(
      `SELECT event_id, reason, payload FROM dead_letters WHERE event_id = ANY($1::text[]) ORDER BY event_id`,
      [[negative.id, future.id]],
    );
    expect(letters.map((letter: { event_id: string }) => letter.event_id)).toEqual([
      future.id,
      negative.id,
    ]);
    expect(JSON.parse(letters[1].payload)).toEqual(negative);
  });

  it('should flag usage of an unknown model as unpriced, never as free', async () => {
    const event = makeUsageEvent({
      id: `unpriced-${Date.now()}`,
      provider: 'openai',
      model: 'gpt-imaginary',
      usage: { input_tokens: 10, output_tokens: 3 },
    });
    await post(event);
    const [row] = await served.service.purser.dataSource.query(
      'SELECT cost::text AS cost, unpriced, unpriced_keys FROM usage_events WHERE event_id = $1',
      [event.id],
    );
    expect(row).toEqual({
      cost: '0',
      unpriced: true,
      unpriced_keys: ['input_tokens', 'output_tokens'],
    });
  });

  it('should accept a CloudEvents 1.0 structured envelope', async () => {
    const data = makeUsageEvent({ id: `ce-${Date.now()}` });
    const envelope = {
      specversion: '1.0',
      type: 'purser.usage.v1',
      source: 'gateway-eu',
      id: data.id,
      datacontenttype: 'application/json',
      data,
    };
    const result = await post(envelope, served.key, 'application/cloudevents+json');
    expect(result.body).toMatchObject({ accepted: 1 });
  });

  it('should price a late event with the price in force then', async () => {
    const id = `late-${Date.now()}`;
    for (const [effectiveFrom, inputTokens] of [
      ['2026-01-01T00:00:00Z', '1'],
      ['2026-06-01T00:00:00Z', '2'],
    ])
      await upsertPrice(served.service, {
        model: 'late-model',
        effectiveFrom,
        prices: { inputTokens },
      });
    await post(
      makeUsageEvent({
        id,
        provider: 'openai',
        model: 'late-model',
        timestamp: '2026-02-03T23:30:00-05:00',
        usage: { input_tokens: 1_000_000 },
      }),
    );
    const [row] = await served.service.purser.dataSource.query(
      `SELECT cost::text AS cost, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM usage_events WHERE event_id = $1`,
      [id],
    );
    expect(row).toEqual({ cost: '1', day: '2026-02-04' });
  });

  it('should ingest through the GraphQL mutation with the same rules', async () => {
    const event = makeUsageEvent({ id: `gql-${Date.now()}` });
    const mutation = `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted duplicates rejected results { id status reason } } }`;
    const first = await served.service.graphql<{ ingestUsage: { accepted: number } }>(
      mutation,
      { events: [event] },
      served.key,
    );
    expect(first.data!.ingestUsage).toMatchObject({ accepted: 1, duplicates: 0, rejected: 0 });
    const again = await served.service.graphql<{ ingestUsage: { duplicates: number } }>(
      mutation,
      { events: [event] },
      served.key,
    );
    expect(again.data!.ingestUsage).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('should refuse ingest from a viewer key with 403', async () => {
    const viewer = await served.service.keyFor('viewer');
    const result = await post(makeUsageEvent({ id: `viewer-${Date.now()}` }), viewer);
    expect(result.status).toBe(403);
    expect(result.body).toMatchObject({ code: 'FORBIDDEN' });
  });
});
