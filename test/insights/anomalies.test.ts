// Anomalies on real Postgres through the service's GraphQL: 10.00 a day for 8 weeks (one past
// week with an outlier the median ignores) and a spike of 500 in one hour → exactly that hour
// flagged, per feature and per team, with expected and observed known; a bump under the
// minimum excess, 10 more in an hour whose neighbouring hours swing by 4, and a currency with
// too little history flag nothing; roles; range errors and
// generated arguments answered as BAD_USER_INPUT naming the argument, never a 500.
import fc from 'fast-check';
import { gql, ingest, priceModels } from '../allocation/allocation-support';
import { unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { dayAt, flatDays } from './anomaly-support';

const ANOMALIES = `query($from: DateTime!, $to: DateTime!, $currency: String) {
  anomalies(from: $from, to: $to, currency: $currency) { dimensions expected observed score }
}`;

describe('anomalies', () => {
  let service: RunningPurser;
  let viewer: string;
  const feature = unique('chat');
  const team = unique('search');
  const quiet = unique('quiet');
  const noisy = unique('noisy');
  const noisyTeam = unique('noisy-team');

  beforeAll(async () => {
    service = await startPurser({ env: { PURSER_ANOMALY_INTERVAL_SECONDS: '0' } });
    viewer = await service.keyFor('viewer');
    const gateway = await service.keyFor('gateway');
    await priceModels(service);
    await priceModels(service, ['eur-model'], 'EUR');
    // 2026-09-29 (a Tuesday) to 2026-11-25: 10.00 a day, all of it at 14:00 UTC.
    const events = flatDays(58, { feature, team });
    // A feature flat at 14:00 whose hours either side swing between 0 and 4 week by week (under
    // the minimum excess themselves): its spread is its neighbouring hours' (MAD 2, scale
    // 2.9652), so 10 more at 14:00 scores 3.37, not an anomaly (alone, its MAD would be 0).
    for (let day = 0; day < 58; day += 1) {
      const attribution = { feature: noisy, team: noisyTeam };
      const swing = Math.floor(day / 7) % 2 === 1 ? 4 : 0;
      events.push({
        id: unique('n'),
        at: dayAt(day, 14),
        input: day === 56 ? 20 : 10,
        attribution,
      });
      if (swing > 0) {
        events.push({ id: unique('n'), at: dayAt(day, 13), input: swing, attribution });
        events.push({ id: unique('n'), at: dayAt(day, 15), input: swing, attribution });
      }
    }
    // The data starts the day before (a penny): every baseline hour of 2026-11-24 is in it.
    events.push({ id: unique('x'), at: dayAt(-1, 0), input: 1, attribution: { feature: quiet } });
    events.push(
      // A past outlier (Tuesday 2026-11-03 14:00): the baseline's median does not move.
      { id: unique('o'), at: dayAt(35, 14), input: 300, attribution: { feature, team } },
      // The spike: Tuesday 2026-11-24 14:00, 500 more than usual.
      { id: unique('s'), at: dayAt(56, 14), input: 500, attribution: { feature, team } },
      // Wednesday 2026-11-25 14:00: 4 more than usual, under the minimum excess of 5.
      { id: unique('b'), at: dayAt(57, 14), input: 4, attribution: { feature, team } },
      // A feature that spends 3.00 where it never did: unusual, but pennies.
      { id: unique('q'), at: dayAt(56, 9), input: 3, attribution: { feature: quiet } },
    );
    // EUR: two weeks of history only, then a spike: too young for a baseline.
    for (let day = 42; day < 57; day += 1) {
      events.push({
        id: unique('e'),
        at: dayAt(day, 14),
        input: day === 56 ? 900 : 10,
        model: 'eur-model',
        attribution: { feature, team },
      });
    }
    await ingest(service, gateway, events);
  });
  afterAll(() => service.stop());

  const range = { from: '2026-11-18T00:00:00Z', to: '2026-11-26T00:00:00Z' };

  it('should flag exactly the spike hour, per feature and per team, with expected and observed', async () => {
    const data = await gql<{ anomalies: unknown[] }>(service, ANOMALIES, range, viewer);
    const hour = '2026-11-24T14:00:00.000Z';
    expect(data.anomalies).toEqual([
      { dimensions: { feature, hour }, expected: '10', observed: '510', score: 500 },
      { dimensions: { team, hour }, expected: '10', observed: '510', score: 500 },
    ]);
  });

  it('should flag the past outlier itself against the weeks before it', async () => {
    const data = await gql<{ anomalies: { dimensions: Record<string, string> }[] }>(
      service,
      ANOMALIES,
      { from: '2026-11-03T00:00:00Z', to: '2026-11-04T00:00:00Z' },
    );
    // Five weeks of history before 2026-11-03 (from 2026-09-29): expected 10, observed 310.
    expect(data.anomalies).toEqual([
      {
        dimensions: { feature, hour: '2026-11-03T14:00:00.000Z' },
        expected: '10',
        observed: '310',
        score: 300,
      },
      {
        dimensions: { team, hour: '2026-11-03T14:00:00.000Z' },
        expected: '10',
        observed: '310',
        score: 300,
      },
    ]);
  });

  it('should flag nothing in a currency whose history is shorter than 4 weeks', async () => {
    const data = await gql<{ anomalies: unknown[] }>(service, ANOMALIES, {
      ...range,
      currency: 'eur',
    });
    expect(data.anomalies).toEqual([]);
  });

  it('should refuse a gateway key and answer a bad range or currency naming the argument', async () => {
    const gateway = await service.keyFor('gateway');
    const refused = await service.graphql(ANOMALIES, range, gateway);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ from: range.to, to: range.from }, /^to: must be later than from$/],
      [
        { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:01Z' },
        /^to: anomalies cover at most 31 days \(asked 32\)/,
      ],
      [{ ...range, currency: 'dollars' }, /^currency: must be an ISO 4217 code/],
    ];
    for (const [variables, message] of cases) {
      const answer = await service.graphql(ANOMALIES, variables, viewer);
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(message);
    }
  });

  it('should answer generated arguments with anomalies or a BAD_USER_INPUT naming the argument', async () => {
    const instant = fc
      .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') })
      .filter((date) => !Number.isNaN(date.getTime()))
      .map((date) => date.toISOString());
    const value = fc.oneof(
      instant,
      fc.constantFrom('', 'yesterday', '2026-02-30T00:00:00Z', '2026-11-20', 'USD', 'usd', 'EURO'),
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(
        value,
        value,
        fc.option(value, { nil: undefined }),
        async (from, to, currency) => {
          const answer = await service.graphql<{ anomalies: unknown[] }>(
            ANOMALIES,
            { from, to, ...(currency === undefined ? {} : { currency }) },
            viewer,
          );
          if (answer.errors) {
            const [error] = answer.errors;
            expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
            expect(error?.message).toMatch(/\$from|\$to|\$currency|^from|^to|^currency/);
          } else {
            expect(Array.isArray(answer.data?.anomalies)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
