// What unit tests cannot catch: a reprice moves usage_hourly in SQL (the rollup statement
// ingest uses, weighted ±1 per re-rated row), so after any sequence of re-ratings — pricing
// unpriced usage, a correction into another currency and back, a mid-range change, in batches
// — every hourly row must equal the same sums computed again from the stored events.
import { makeUsageEvent } from '@purser/adapters/testing';
import { upsertPrice } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const DAY = { from: '2026-06-02T00:00:00Z', to: '2026-06-03T00:00:00Z' };
const MODELS = ['rollup-new', 'rollup-known'];
const TEAMS = ['search', 'ads', null];

const SUMS = `count(*)::int AS requests, (count(*) FILTER (WHERE unpriced))::int AS unpriced_requests,
  trim_scale(sum(cost))::text AS cost, sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens`;
const KEY = `date_trunc('hour', occurred_at, 'UTC') AS hour, provider, model, team, user_id, currency`;

describe('reprice: usage_hourly equals its events after every re-rating', () => {
  let service: RunningPurser;
  let project: string;

  const setPrice = async (model: string, effectiveFrom: string, price: string, currency = 'USD') =>
    upsertPrice(service, {
      model,
      effectiveFrom,
      currency,
      prices: { inputTokens: price, outputTokens: price },
    });

  /** The hourly rows of the project, and the same sums computed from its events. */
  const rollupAndEvents = async () => {
    const query = service.purser.dataSource.query.bind(service.purser.dataSource);
    const rollup = (await query(
      `SELECT hour, provider, model, team, user_id, currency, requests::int AS requests,
              unpriced_requests::int AS unpriced_requests, trim_scale(cost)::text AS cost,
              input_tokens::text AS input_tokens, output_tokens::text AS output_tokens
       FROM usage_hourly WHERE project = $1 AND requests <> 0
       ORDER BY 1, 2, 3, 4, 5, 6`,
      [project],
    )) as Record<string, unknown>[];
    const emptied = (await query(
      `SELECT count(*)::int AS rows FROM usage_hourly
       WHERE project = $1 AND requests = 0 AND (cost <> 0 OR unpriced_requests <> 0 OR input_tokens <> 0)`,
      [project],
    )) as { rows: number }[];
    const events = (await query(
      `SELECT ${KEY}, ${SUMS} FROM usage_events WHERE project = $1
       GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
      [project],
    )) as Record<string, unknown>[];
    return { rollup, events, emptied: emptied[0]!.rows };
  };

  const expectRollupOfEvents = async () => {
    const { rollup, events, emptied } = await rollupAndEvents();
    expect(rollup).toEqual(events);
    expect(emptied).toBe(0);
    return events;
  };

  const reprice = (batchSize: number) =>
    service.purser.services.reprice.reprice({
      from: new Date(DAY.from),
      to: new Date(DAY.to),
      provider: 'openai',
      batchSize,
    });

  beforeAll(async () => {
    service = await startPurser();
    project = `reprice-rollup-${Date.now()}`;
    await setPrice(MODELS[1]!, '2026-01-01T00:00:00Z', '1');
    const gateway = await service.keyFor('gateway');
    const events = Array.from({ length: 48 }, (_, index) => {
      const team = TEAMS[index % TEAMS.length];
      return makeUsageEvent({
        id: `${project}-${index}`,
        source: project,
        timestamp: `2026-06-02T${String(8 + (index % 5)).padStart(2, '0')}:${String((index * 7) % 60).padStart(2, '0')}:00Z`,
        provider: 'openai',
        model: MODELS[index % 2],
        usage: { input_tokens: 1000 + index, output_tokens: 10 * index },
        attribution: { project, ...(team ? { team } : {}), ...(index % 4 ? { user: 'u1' } : {}) },
        ...(index % 11 === 0 ? { cache_hit: true } : {}),
      });
    });
    const result = await service.graphql<{ ingestUsage: { accepted: number } }>(
      `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }`,
      { events },
      gateway,
    );
    expect(result.data?.ingestUsage.accepted).toBe(events.length);
  });
  afterAll(() => service?.stop());

  it('should hold the sums of the events as ingested', async () => {
    const events = await expectRollupOfEvents();
    expect(events.some((row) => row.unpriced_requests !== 0)).toBe(true);
  });

  it('should stay the sums of the events through re-ratings, batch by batch', async () => {
    await setPrice(MODELS[0]!, '2026-06-01T00:00:00Z', '2');
    expect((await reprice(5)).newlyPriced).toBeGreaterThan(0);
    await expectRollupOfEvents();

    // A correction into another currency moves the rows from the USD key to the EUR one.
    await setPrice(MODELS[0]!, '2026-06-01T00:00:00Z', '3', 'EUR');
    expect((await reprice(7)).changed).toBeGreaterThan(0);
    const euro = await expectRollupOfEvents();
    expect(new Set(euro.map((row) => row.currency))).toEqual(new Set(['USD', 'EUR']));

    await setPrice(MODELS[0]!, '2026-06-01T00:00:00Z', '2.5');
    await setPrice(MODELS[1]!, '2026-06-02T10:00:00Z', '0.125');
    expect((await reprice(1000)).changed).toBeGreaterThan(0);
    const back = await expectRollupOfEvents();
    expect(back.every((row) => row.currency === 'USD')).toBe(true);

    expect((await reprice(3)).changed).toBe(0);
    await expectRollupOfEvents();
  });
});
