// What unit tests cannot catch: unpriced usage counted apart in the spend report, never a
// silent $0 — kept by ingest's one-statement rollup, read back from the rollup (whole hours)
// and from the events (edge hours) alike, moved by a reprice that prices them, and counted
// for rows stored before the column existed (the migration's backfill).
import { makeUsageEvent } from '@purser/adapters/testing';
import { migrations } from '@purser/api';
import { upsertPrice } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const DAY = { from: '2026-05-02T00:00:00Z', to: '2026-05-03T00:00:00Z' };
const PRICED = 'unpriced-suite-known';
const UNPRICED = 'unpriced-suite-new';

interface Report {
  total: string;
  requests: number;
  unpricedRequests: number;
  rows: {
    dimensions: Record<string, string>;
    cost: string;
    requests: number;
    unpricedRequests: number;
  }[];
}

describe('spend: unpriced requests', () => {
  let service: RunningPurser;
  let project: string;

  const spend = async (range: { from: string; to: string }, groupBy: string[]) => {
    const result = await service.graphql<{ spend: Report }>(
      `query($from: DateTime!, $to: DateTime!, $groupBy: [SpendDimension!], $filter: SpendFilter) {
        spend(from: $from, to: $to, groupBy: $groupBy, filter: $filter) {
          total requests unpricedRequests rows { dimensions cost requests unpricedRequests }
        }
      }`,
      { ...range, groupBy, filter: { project } },
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.spend;
  };

  const setPrice = (model: string) =>
    upsertPrice(service, {
      model,
      effectiveFrom: '2026-01-01T00:00:00Z',
      prices: { inputTokens: '1', outputTokens: '2' },
    });

  beforeAll(async () => {
    service = await startPurser();
    project = `unpriced-${Date.now()}`;
    await setPrice(PRICED);
    const events = [
      [PRICED, '2026-05-02T09:10:00Z'],
      [UNPRICED, '2026-05-02T09:20:00Z'],
      [UNPRICED, '2026-05-02T10:05:00Z'],
      [UNPRICED, '2026-05-02T11:45:00Z'],
      [PRICED, '2026-05-02T11:50:00Z'],
    ].map(([model, timestamp], index) =>
      makeUsageEvent({
        id: `${project}-${index}`,
        source: project,
        timestamp,
        provider: 'openai',
        model,
        usage: { input_tokens: 1_000_000, output_tokens: 0 },
        attribution: { team: 'platform', project },
      }),
    );
    const result = await service.graphql<{ ingestUsage: { accepted: number } }>(
      `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }`,
      { events },
      await service.keyFor('gateway'),
    );
    expect(result.data?.ingestUsage.accepted).toBe(events.length);
  });
  afterAll(() => service?.stop());

  it('should count unpriced requests apart from the cost, from the rollup and from the events', async () => {
    // Whole hours only: the rollup.
    const whole = await spend(DAY, ['MODEL']);
    expect(whole).toEqual({
      total: '2',
      requests: 5,
      unpricedRequests: 3,
      rows: [
        { dimensions: { model: PRICED }, cost: '2', requests: 2, unpricedRequests: 0 },
        { dimensions: { model: UNPRICED }, cost: '0', requests: 3, unpricedRequests: 3 },
      ],
    });
    // Edge hours from the events, the middle hour from the rollup: the same counts.
    const edges = await spend({ from: '2026-05-02T09:15:00Z', to: '2026-05-02T11:48:00Z' }, []);
    expect(edges).toMatchObject({ total: '0', requests: 3, unpricedRequests: 3 });
    const byHour = await spend(DAY, ['HOUR']);
    expect(byHour.rows.map((row) => row.unpricedRequests)).toEqual([1, 1, 1]);
  });

  it('should take them out of the count once a reprice prices them', async () => {
    await setPrice(UNPRICED);
    const result = await service.graphql<{ reprice: { newlyPriced: number } }>(
      `mutation($from: DateTime!, $to: DateTime!) { reprice(from: $from, to: $to, model: "${UNPRICED}") { newlyPriced } }`,
      DAY,
    );
    expect(result.data?.reprice.newlyPriced).toBe(3);
    expect(await spend(DAY, [])).toMatchObject({ total: '5', requests: 5, unpricedRequests: 0 });
  });

  it('should count the unpriced events of rows written before the column existed', async () => {
    const dataSource = service.purser.dataSource;
    const runner = dataSource.createQueryRunner();
    try {
      await dataSource.query(
        `UPDATE usage_events SET unpriced = true WHERE source = $1 AND model = $2`,
        [project, PRICED],
      );
      // As the migrations ran on such a database: the unpriced counts, then the daily rollup
      // (1763901700000) built from the hourly rows they fill; spend reads whole days from it.
      const later = ['UnpricedRollup1763900900000', 'DailyRollup1763901700000'].map((name) => {
        const Migration = migrations.find((each) => each.name === name)!;
        return new Migration();
      });
      for (const migration of [...later].reverse()) await migration.down(runner);
      for (const migration of later) await migration.up(runner);
      expect(await spend(DAY, ['MODEL'])).toMatchObject({
        unpricedRequests: 2,
        rows: [
          { dimensions: { model: PRICED }, unpricedRequests: 2 },
          { dimensions: { model: UNPRICED }, unpricedRequests: 0 },
        ],
      });
    } finally {
      await runner.release();
    }
  });
});
