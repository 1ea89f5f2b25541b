// What unit tests cannot catch: re-rating stored events against a real database — unpriced
// usage found, costs recomputed with the catalog as it is now, and the usage_hourly rollup
// moved by exactly the difference so that spend over whole hours (read only from the rollup)
// stays the sum of the events.
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money } from '@purser/pricing';
import { upsertPrice } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const DAY = { from: '2026-04-02T00:00:00Z', to: '2026-04-03T00:00:00Z' };
const NEW_MODEL = 'reprice-new';
const KNOWN_MODEL = 'reprice-known';

/** Events of the model that has no price yet, and one of a priced model beside them. */
const EVENTS = [
  { key: 'n1', model: NEW_MODEL, timestamp: '2026-04-02T09:10:00Z', input: 1000, output: 100 },
  { key: 'n2', model: NEW_MODEL, timestamp: '2026-04-02T10:00:00Z', input: 2000, output: 200 },
  { key: 'n3', model: NEW_MODEL, timestamp: '2026-04-02T11:30:00Z', input: 3000, output: 300 },
  { key: 'n4', model: NEW_MODEL, timestamp: '2026-04-02T12:59:59.5Z', input: 4000, output: 400 },
  { key: 'k1', model: KNOWN_MODEL, timestamp: '2026-04-02T10:30:00Z', input: 1_000_000, output: 0 },
];

const REPRICE = `mutation($from: DateTime!, $to: DateTime!, $provider: String, $model: String) {
  reprice(from: $from, to: $to, provider: $provider, model: $model) {
    scanned changed newlyPriced totals { currency before after }
  }
}`;

interface SpendReport {
  total: string;
  requests: number;
  rows: { dimensions: { hour: string }; cost: string; requests: number }[];
}

describe('reprice', () => {
  let service: RunningPurser;
  let project: string;

  const setPrice = async (
    model: string,
    effectiveFrom: string,
    prices: { inputTokens: string; outputTokens: string },
  ) => upsertPrice(service, { model, effectiveFrom, prices });

  const reprice = async (variables: Record<string, unknown>, token?: string) =>
    service.graphql<{
      reprice: {
        scanned: number;
        changed: number;
        newlyPriced: number;
        totals: { currency: string; before: string; after: string }[];
      };
    }>(REPRICE, variables, token);

  const spendByHour = async (range: { from: string; to: string } = DAY) => {
    const result = await service.graphql<{ spend: SpendReport }>(
      `query($from: DateTime!, $to: DateTime!, $filter: SpendFilter) {
        spend(from: $from, to: $to, groupBy: [HOUR], filter: $filter) {
          total requests rows { dimensions cost requests }
        }
      }`,
      { ...range, filter: { project, model: NEW_MODEL } },
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.spend;
  };

  /** Costs as stored per event, and their exact sum. */
  const storedCosts = async () => {
    const result = await service.graphql<{
      usageEvents: {
        edges: { node: { id: string; cost: string; unpriced: boolean; priceCardId: string } }[];
      };
    }>(
      `query($filter: UsageEventFilter) {
        usageEvents(filter: $filter, first: 100) { edges { node { id cost unpriced priceCardId } } }
      }`,
      { filter: { project, model: NEW_MODEL } },
    );
    const nodes = result.data!.usageEvents.edges.map((edge) => edge.node);
    return {
      byEvent: Object.fromEntries(nodes.map((node) => [node.id.replace(`${project}-`, ''), node])),
      total: nodes.reduce((sum, node) => sum.plus(node.cost), new Money(0)).toFixed(),
    };
  };

  beforeAll(async () => {
    service = await startPurser();
    await setPrice(KNOWN_MODEL, '2026-01-01T00:00:00Z', { inputTokens: '1', outputTokens: '1' });
    project = `reprice-${Date.now()}`;
    const gateway = await service.keyFor('gateway');
    const result = await service.graphql<{ ingestUsage: { accepted: number } }>(
      `mutation($events: [JSONObject!]!) { ingestUsage(events: $events) { accepted } }`,
      {
        events: EVENTS.map((item) =>
          makeUsageEvent({
            id: `${project}-${item.key}`,
            source: project,
            timestamp: item.timestamp,
            provider: 'openai',
            model: item.model,
            usage: { input_tokens: item.input, output_tokens: item.output },
            attribution: { team: 'platform', project },
          }),
        ),
      },
      gateway,
    );
    expect(result.data?.ingestUsage.accepted).toBe(EVENTS.length);
  });
  afterAll(() => service.stop());

  it('should list usage of a model without a price as unpriced, with counts and keys', async () => {
    const result = await service.graphql(
      `query($from: DateTime!, $to: DateTime!) {
        unpricedUsage(from: $from, to: $to) { provider model events unpricedKeys tokens firstSeen lastSeen }
      }`,
      DAY,
    );
    expect(result.data).toEqual({
      unpricedUsage: [
        {
          provider: 'openai',
          model: NEW_MODEL,
          events: 4,
          unpricedKeys: ['input_tokens', 'output_tokens'],
          tokens: {
            input_tokens: 10000,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cache_write_1h_tokens: 0,
            output_tokens: 1000,
            reasoning_tokens: 0,
          },
          firstSeen: '2026-04-02T09:10:00.000Z',
          lastSeen: '2026-04-02T12:59:59.500Z',
        },
      ],
    });
    expect(await spendByHour()).toMatchObject({ total: '0', requests: 4 });
  });

  it('should price the unpriced events once a price effective before them exists', async () => {
    await setPrice(NEW_MODEL, '2026-04-01T00:00:00Z', { inputTokens: '2', outputTokens: '8' });
    // Stored costs do not move until a reprice.
    expect((await spendByHour()).total).toBe('0');

    const result = await reprice({ ...DAY, provider: 'openai', model: NEW_MODEL });
    expect(result.data?.reprice).toEqual({
      scanned: 4,
      changed: 4,
      newlyPriced: 4,
      totals: [{ currency: 'USD', before: '0', after: '0.028' }],
    });

    const stored = await storedCosts();
    expect(
      Object.fromEntries(Object.entries(stored.byEvent).map(([key, node]) => [key, node.cost])),
    ).toEqual({ n1: '0.0028', n2: '0.0056', n3: '0.0084', n4: '0.0112' });
    expect(Object.values(stored.byEvent).every((node) => !node.unpriced)).toBe(true);
    expect(Object.values(stored.byEvent)[0].priceCardId).toBe(
      `openai/${NEW_MODEL}@2026-04-01T00:00:00.000Z`,
    );

    // A whole-day range reads only the rollup: it must have moved by the difference.
    const spend = await spendByHour();
    expect(spend.total).toBe(stored.total);
    expect(spend).toEqual({
      total: '0.028',
      requests: 4,
      rows: [
        { dimensions: { hour: '2026-04-02T09:00:00Z' }, cost: '0.0028', requests: 1 },
        { dimensions: { hour: '2026-04-02T10:00:00Z' }, cost: '0.0056', requests: 1 },
        { dimensions: { hour: '2026-04-02T11:00:00Z' }, cost: '0.0084', requests: 1 },
        { dimensions: { hour: '2026-04-02T12:00:00Z' }, cost: '0.0112', requests: 1 },
      ],
    });
    // Edges read from the events, the middle from the rollup: both agree.
    expect(
      (await spendByHour({ from: '2026-04-02T09:30:00Z', to: '2026-04-02T12:59:59.5Z' })).total,
    ).toBe('0.014');

    const unpriced = await service.graphql(
      `query($from: DateTime!, $to: DateTime!) { unpricedUsage(from: $from, to: $to) { model } }`,
      DAY,
    );
    expect(unpriced.data).toEqual({ unpricedUsage: [] });
  });

  it('should change nothing when run again', async () => {
    const result = await reprice({ ...DAY, provider: 'openai', model: NEW_MODEL });
    expect(result.data?.reprice).toEqual({
      scanned: 4,
      changed: 0,
      newlyPriced: 0,
      totals: [{ currency: 'USD', before: '0.028', after: '0.028' }],
    });
    expect((await spendByHour()).total).toBe('0.028');
  });

  it('should re-rate a corrected price exactly, and a finance key may do it', async () => {
    // Same effective date: a correction of the price just set.
    await setPrice(NEW_MODEL, '2026-04-01T00:00:00Z', { inputTokens: '2', outputTokens: '10' });
    const finance = await service.keyFor('finance');
    const result = await reprice({ ...DAY, provider: 'openai', model: NEW_MODEL }, finance);
    expect(result.data?.reprice).toEqual({
      scanned: 4,
      changed: 4,
      newlyPriced: 0,
      totals: [{ currency: 'USD', before: '0.028', after: '0.03' }],
    });
    const stored = await storedCosts();
    expect(
      Object.fromEntries(Object.entries(stored.byEvent).map(([key, node]) => [key, node.cost])),
    ).toEqual({ n1: '0.003', n2: '0.006', n3: '0.009', n4: '0.012' });
    const spend = await spendByHour();
    expect(spend.total).toBe('0.03');
    expect(spend.rows.map((row) => row.cost)).toEqual(['0.003', '0.006', '0.009', '0.012']);
  });

  it('should re-rate only the events after a mid-range price change, batch by batch', async () => {
    await setPrice(NEW_MODEL, '2026-04-02T11:00:00Z', { inputTokens: '1', outputTokens: '1' });
    const report = await service.purser.services.reprice.reprice({
      from: new Date(DAY.from),
      to: new Date(DAY.to),
      provider: 'openai',
      batchSize: 2,
    });
    // k1 (the known model, 1 USD) is scanned but unchanged; n3 and n4 cost less; n1 and n2
    // keep their cost but now point at the closed copy of the card they were priced with.
    expect(report).toEqual({
      scanned: 5,
      changed: 4,
      newlyPriced: 0,
      totals: [{ currency: 'USD', before: '1.03', after: '1.0167' }],
    });
    const spend = await spendByHour();
    expect(spend.rows.map((row) => row.cost)).toEqual(['0.003', '0.006', '0.0033', '0.0044']);
    expect(spend.total).toBe('0.0167');
    const stored = await storedCosts();
    expect(spend.total).toBe(stored.total);
    expect(stored.byEvent.n3.priceCardId).toBe(`openai/${NEW_MODEL}@2026-04-02T11:00:00.000Z`);
    expect(stored.byEvent.n4.priceCardId).toBe(`openai/${NEW_MODEL}@2026-04-02T11:00:00.000Z`);
    expect(stored.byEvent.n1.priceCardId).toMatch(/@2026-04-01T00:00:00.000Z~v\d+$/);
  });

  it('should refuse a viewer key with FORBIDDEN', async () => {
    const viewer = await service.keyFor('viewer');
    const result = await reprice(DAY, viewer);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('should refuse an empty range with BAD_USER_INPUT', async () => {
    const result = await reprice({ from: DAY.to, to: DAY.from });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
