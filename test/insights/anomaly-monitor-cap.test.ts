// The anomaly job records every anomaly of its 24 hours, not only the 1,000 the GraphQL answer
// keeps: a unit test cannot see that the monitor and the query share one reading path whose
// default cap silently dropped the lowest scores.
import { ingest, priceModels, type UsageFixture } from '../allocation/allocation-support';
import { unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const HOUR_MS = 3_600_000;
/** Features in each hour: each with a team of its own, so every event makes two anomalies. */
const SERIES_PER_HOUR = 25;
/** 24 hours × 25 series × (feature + team): past the GraphQL answer's 1,000. */
const EXPECTED = 24 * SERIES_PER_HOUR * 2;

describe('anomaly monitor past the GraphQL cap', () => {
  let service: RunningPurser;
  // 2026-11-24 15:05 UTC: the lookback is the 24 closed hours from 2026-11-23 15:00.
  const clock = () => new Date('2026-11-24T15:05:00Z');
  const lookbackStart = Date.parse('2026-11-23T15:00:00Z');
  const prefix = unique('cap');

  beforeAll(async () => {
    service = await startPurser({ clock });
    await priceModels(service);
    const gateway = await service.keyFor('gateway');
    // One old event starts the history 9 weeks back, so each hour's 8 baseline weeks count
    // (all 0); every event of the lookback is then a spike with a score of its own.
    const events: UsageFixture[] = [
      {
        id: unique('history'),
        at: new Date(lookbackStart - 9 * 7 * 24 * HOUR_MS).toISOString(),
        input: 1,
        attribution: { feature: `${prefix}-history`, team: `${prefix}-history` },
      },
    ];
    for (let hour = 0; hour < 24; hour += 1) {
      for (let series = 0; series < SERIES_PER_HOUR; series += 1) {
        const index = hour * SERIES_PER_HOUR + series;
        events.push({
          id: unique('spike'),
          at: new Date(lookbackStart + hour * HOUR_MS + 60_000).toISOString(),
          // Distinct amounts (10 and more: past the 5 of excess an anomaly needs) rank them.
          input: 10 + index,
          attribution: { feature: `${prefix}-f${index}`, team: `${prefix}-t${index}` },
        });
      }
    }
    await ingest(service, gateway, events);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('should record all of its hours’ anomalies, the lowest scores too', async () => {
    await service.purser.anomalyMonitor!.tick();
    const [{ recorded, lowest }] = await service.purser.dataSource.query(
      `SELECT count(*)::int AS recorded, min(observed)::text AS lowest FROM spend_anomalies
       WHERE value LIKE $1`,
      [`${prefix}-%`],
    );
    expect(recorded).toBe(EXPECTED);
    // The smallest spike (10.00) scores lowest: it is past the first 1,000.
    expect(Number(lowest)).toBe(10);
    // The GraphQL answer still holds at most 1,000 of them.
    const answer = await service.graphql<{ anomalies: unknown[] }>(
      `query($from: DateTime!, $to: DateTime!) { anomalies(from: $from, to: $to) { score } }`,
      { from: '2026-11-23T15:00:00Z', to: '2026-11-24T15:00:00Z' },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.anomalies).toHaveLength(1000);
  });
});
