// How a batch travels to Postgres must not change what is stored: every column of every event
// as sent (quotes, backslashes, braces, commas, "NULL", unicode, empty strings), absent
// fields as NULL, and what the database refuses (a lone surrogate in a jsonb column)
// dead-lettered alone while the rest of the batch is stored. (A NUL never reaches the
// database: the parser refuses it, naming the field; see test/security/ingest-nul.test.ts.)
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsageJson } from '../support/decisions';
import { servePurser } from '../support/purser';

describe('ingest batch encoding', () => {
  const served = servePurser('gateway');

  const post = async (body: unknown) => {
    const response = await postUsageJson(served.service, served.key, body);
    return (await response.json()) as {
      accepted: number;
      rejected: number;
      results: { id: string; status: string; reason: string | null }[];
    };
  };

  const stored = (source: string) =>
    served.service.purser.dataSource.query(
      `SELECT event_id, occurred_at::text AS occurred_at, ingest_path, provider, model, team,
              feature, environment, customer, project, user_id, agent, operation, session,
              virtual_key, request_path, tags, status, error_type, latency_ms, retry_count,
              cache_hit, batch, input_tokens::int, cache_read_tokens::int,
              cache_write_tokens::int, cache_write_1h_tokens::int, output_tokens::int,
              reasoning_tokens::int, units, cost::text AS cost, currency, cost_breakdown, price_card_id,
              unpriced, unpriced_keys, reported_cost::text AS reported_cost, reported_currency,
              decision_id
       FROM usage_events WHERE source = $1 ORDER BY event_id`,
      [source],
    ) as Promise<Record<string, unknown>[]>;

  it('should store every field of every event exactly as sent, whatever its characters', async () => {
    const source = `encoding-${Date.now()}`;
    const awkward = [
      'a "quoted" value',
      'back\\slash',
      '{braces},commas',
      'NULL',
      'null',
      ' padded ',
      'line\nbreak\ttab',
      'émoji 🚀 中文',
      "it's",
      'literal \\ud800 text',
    ];
    /** What each awkward event reports using: stored column for column under the same names. */
    const usageOf = (value: string, index: number) => ({
      input_tokens: 10 + index,
      cache_read_tokens: 20,
      cache_write_tokens: 5,
      cache_write_1h_tokens: 3,
      output_tokens: 7,
      reasoning_tokens: 2,
      units: { web_search_requests: 2, [value]: 1 },
    });
    const events = awkward.map((value, index) =>
      makeUsageEvent({
        id: `${value}-${index}`,
        source,
        timestamp: '2026-11-23T09:30:00.123456+01:00',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        operation: value,
        usage: usageOf(value, index),
        attribution: {
          team: value,
          feature: 'f',
          environment: 'e',
          customer: 'c',
          project: 'p',
          user: 'u',
          agent: 'a',
          session: 's',
          virtual_key: 'vk',
          request_path: '/v1/messages',
        },
        tags: { [value]: value, empty: '' },
        latency_ms: 640,
        status: 'error',
        error_type: value,
        retry_count: 2,
        cache_hit: false,
        reported_cost: { amount: '0.00125', currency: 'eur' },
        decision_id: `dec-${value}`,
        batch: true,
      }),
    );
    const bare = makeUsageEvent({
      id: 'bare',
      source,
      provider: 'openai',
      model: 'gpt-imaginary',
      operation: undefined,
      attribution: undefined,
      tags: undefined,
      latency_ms: undefined,
      usage: { input_tokens: 1 },
    });
    const result = await post([...events, bare]);
    expect(result).toMatchObject({ accepted: events.length + 1, rejected: 0 });

    const rows = await stored(source);
    expect(rows).toHaveLength(events.length + 1);
    const byId = new Map(rows.map((row) => [row.event_id as string, row]));
    awkward.forEach((value, index) => {
      const row = byId.get(`${value}-${index}`)!;
      expect(row).toEqual({
        event_id: `${value}-${index}`,
        occurred_at: '2026-11-23 08:30:00.123456+00',
        ingest_path: 'http',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        team: value,
        feature: 'f',
        environment: 'e',
        customer: 'c',
        project: 'p',
        user_id: 'u',
        agent: 'a',
        operation: value,
        session: 's',
        virtual_key: 'vk',
        request_path: '/v1/messages',
        tags: { [value]: value, empty: '' },
        status: 'error',
        error_type: value,
        latency_ms: 640,
        retry_count: 2,
        cache_hit: false,
        batch: true,
        ...usageOf(value, index),
        cost: expect.stringMatching(/^[0-9]+\.[0-9]+$/),
        currency: 'USD',
        cost_breakdown: [
          ['input_tokens', 10 + index],
          ['cache_read_tokens', 20],
          ['cache_write_tokens', 5],
          ['cache_write_1h_tokens', 3],
          ['output_tokens', 7],
          ['web_search_requests', 2],
        ].map(([key, quantity]) => ({
          key,
          quantity,
          unit_price: expect.stringMatching(/^[0-9.]+$/),
          amount: expect.stringMatching(/^[0-9.]+$/),
        })),
        price_card_id: expect.stringMatching(/^anthropic\/claude-sonnet-4-5/),
        unpriced: true,
        unpriced_keys: [value],
        reported_cost: '0.00125',
        reported_currency: 'EUR',
        decision_id: `dec-${value}`,
      });
    });
    expect(byId.get('bare')).toEqual(
      expect.objectContaining({
        operation: null,
        team: null,
        user_id: null,
        tags: {},
        latency_ms: null,
        retry_count: null,
        error_type: null,
        cache_hit: false,
        batch: false,
        input_tokens: 1,
        output_tokens: 0,
        units: {},
        cost: '0',
        cost_breakdown: [],
        price_card_id: null,
        unpriced: true,
        unpriced_keys: ['input_tokens'],
        reported_cost: null,
        reported_currency: null,
        decision_id: null,
      }),
    );
  });

  it('should store a fractional latency rounded to the millisecond, not dead-letter it', async () => {
    const source = `latency-${Date.now()}`;
    const result = await post([
      makeUsageEvent({ id: 'half', source, latency_ms: 812.5 }),
      makeUsageEvent({ id: 'small', source, latency_ms: 0.4 }),
    ]);
    expect(result).toMatchObject({ accepted: 2, rejected: 0 });
    const rows = await stored(source);
    expect(rows.map((row) => [row.event_id, row.latency_ms])).toEqual([
      ['half', 813],
      ['small', 0],
    ]);
  });

  it('should store a lone surrogate in a text column as U+FFFD, as UTF-8 requires', async () => {
    const source = `surrogate-${Date.now()}`;
    const event = makeUsageEvent({
      id: 'lone',
      source,
      attribution: { team: 'a\ud800b', customer: 'x\udc00' },
    });
    expect(await post([event])).toMatchObject({ accepted: 1 });
    const [row] = await stored(source);
    expect(row).toMatchObject({ team: 'a\ufffdb', customer: 'x\ufffd' });
  });

  it('should answer an event whose id holds a lone surrogate as accepted, then as a duplicate', async () => {
    const source = `surrogate-id-${Date.now()}`;
    const lone = makeUsageEvent({ id: 'id-\ud800', source });
    const other = makeUsageEvent({ id: 'plain', source });
    expect(await post([lone, other, makeUsageEvent({ id: 'plain', source })])).toMatchObject({
      accepted: 2,
      results: [
        { id: 'id-\ud800', status: 'accepted' },
        { id: 'plain', status: 'accepted' },
        { id: 'plain', status: 'duplicate' },
      ],
    });
    expect(await post([lone, makeUsageEvent({ id: 'fresh', source })])).toMatchObject({
      accepted: 1,
      results: [
        { id: 'id-\ud800', status: 'duplicate' },
        { id: 'fresh', status: 'accepted' },
      ],
    });
    // New beside one already stored: the answer still finds it among the rows inserted.
    expect(await post([makeUsageEvent({ id: 'again-\udc00', source }), other])).toMatchObject({
      accepted: 1,
      results: [
        { id: 'again-\udc00', status: 'accepted' },
        { id: 'plain', status: 'duplicate' },
      ],
    });
    // Two ids that differ only in their lone surrogates are one stored id.
    expect(
      await post([
        makeUsageEvent({ id: 'twin-\ud800', source }),
        makeUsageEvent({ id: 'twin-\udc00', source }),
      ]),
    ).toMatchObject({
      accepted: 1,
      results: [
        { id: 'twin-\ud800', status: 'accepted' },
        { id: 'twin-\udc00', status: 'duplicate' },
      ],
    });
    expect((await stored(source)).map((row) => row.event_id)).toEqual([
      'again-\ufffd',
      'fresh',
      'id-\ufffd',
      'plain',
      'twin-\ufffd',
    ]);
  });

  it('should dead-letter an event the database refuses and store the rest of its batch', async () => {
    const source = `refused-${Date.now()}`;
    const events = Array.from({ length: 5 }, (_, index) =>
      makeUsageEvent({
        id: `e${index}`,
        source,
        tags: index === 3 ? { note: 'lone \ud800 inside' } : { note: 'fine' },
      }),
    );
    const result = await post(events);
    expect(result).toMatchObject({ accepted: 4, rejected: 1 });
    expect(result.results[3]).toMatchObject({
      id: 'e3',
      status: 'rejected',
      reason: expect.stringMatching(/^unprocessable: the database rejected the event: /),
    });
    expect((await stored(source)).map((row) => row.event_id)).toEqual(['e0', 'e1', 'e2', 'e4']);
    const letters = await served.service.purser.dataSource.query(
      'SELECT reason FROM dead_letters WHERE source = $1 AND event_id = $2',
      [source, 'e3'],
    );
    expect(letters).toHaveLength(1);
    const [hourly] = await served.service.purser.dataSource.query(
      `SELECT sum(requests)::int AS requests FROM usage_hourly
       WHERE hour = '2026-11-23T09:00:00Z' AND team = 'search' AND customer = 'acme'`,
    );
    expect(hourly.requests).toBeGreaterThanOrEqual(4);
  });

  it('should count every event of a batch by outcome in the metrics', async () => {
    const counter = async (outcome: string) => {
      const text = await (await fetch(`${served.service.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find((entry) =>
          entry.startsWith(`purser_ingest_events_total{path="http",outcome="${outcome}"}`),
        );
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    const before = {
      accepted: await counter('accepted'),
      duplicate: await counter('duplicate'),
      rejected: await counter('rejected'),
    };
    const source = `metrics-${Date.now()}`;
    const events = Array.from({ length: 3 }, (_, index) =>
      makeUsageEvent({ id: `m${index}`, source }),
    );
    const bad = makeUsageEvent({ id: 'bad', source, usage: { input_tokens: -1 } });
    expect(await post([...events, events[0], events[1], bad])).toMatchObject({
      accepted: 3,
      rejected: 1,
    });
    expect(await counter('accepted')).toBe(before.accepted + 3);
    expect(await counter('duplicate')).toBe(before.duplicate + 2);
    expect(await counter('rejected')).toBe(before.rejected + 1);
  });
});
