// What unit tests cannot catch: the spend report's SQL against a real database — whole
// hours read from the usage_hourly rollup and partial edge hours from usage_events, summed
// exactly in numeric; a period's total the same whatever the grouping; roles on the query.
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money, TOKEN_KEYS } from '@purser/pricing';
import { upsertPrice } from '../support/decisions';
import { postUsage, type RunningPurser, startPurser } from '../support/purser';

/** Exact decimal arithmetic for expected values (never a JS number for money). */
const Exact = Money;

/** Prices per 1M tokens of the models this suite creates (effective 2026-01-01). */
const PRICES: Record<string, { currency: string; prices: Record<string, string> }> = {
  'spend-alpha': {
    currency: 'USD',
    prices: { input_tokens: '2', cache_read_tokens: '0.5', output_tokens: '8' },
  },
  'spend-beta': { currency: 'USD', prices: { input_tokens: '3', output_tokens: '15' } },
  'spend-euro': { currency: 'EUR', prices: { input_tokens: '4', output_tokens: '20' } },
};

interface Fixture {
  key: string;
  /** The timestamp as sent on the wire. */
  timestamp: string;
  /** The instant Postgres stores (microsecond precision, rounded). */
  at: string;
  model: keyof typeof PRICES;
  team: string;
  user: string;
  feature?: string;
  usage: Record<string, number>;
  cacheHit?: boolean;
}

const fixture = (
  key: string,
  timestamp: string,
  model: Fixture['model'],
  team: string,
  user: string,
  usage: Record<string, number>,
  extra: Partial<Fixture> = {},
): Fixture => ({
  key,
  timestamp,
  at: new Date(timestamp).toISOString(),
  model,
  team,
  user,
  usage,
  ...extra,
});

/** Hand-priced cost of every USD event is in the comment beside it. */
const FIXTURES: Fixture[] = [
  fixture('e1', '2026-03-10T09:05:00Z', 'spend-alpha', 'search', 'u1', {
    input_tokens: 1000,
    cache_read_tokens: 2000,
    output_tokens: 500,
  }), // 0.007
  fixture(
    'e2',
    '2026-03-10T10:16:59.999Z',
    'spend-alpha',
    'ranking',
    'u2',
    { input_tokens: 3000, output_tokens: 1000 },
    { feature: 'chat' },
  ), // 0.014
  fixture('e3', '2026-03-10T10:17:00Z', 'spend-beta', 'search', 'u1', {
    input_tokens: 1000,
    output_tokens: 1000,
  }), // 0.018
  fixture(
    'e4',
    '2026-03-10T10:59:59.999Z',
    'spend-alpha',
    'search',
    'u2',
    { input_tokens: 10, output_tokens: 3 },
    { feature: 'chat' },
  ), // 0.000044
  fixture('e5', '2026-03-10T11:00:00Z', 'spend-beta', 'ranking', 'u1', {
    input_tokens: 7,
    output_tokens: 11,
  }), // 0.000186
  fixture('e6', '2026-03-10T12:45:00+02:00', 'spend-alpha', 'search', 'u1', {
    input_tokens: 123456,
    cache_read_tokens: 654321,
    output_tokens: 7890,
  }), // 10:45Z: 0.246912 + 0.3271605 + 0.06312 = 0.6371925
  fixture(
    'e7',
    '2026-03-10T13:30:00Z',
    'spend-alpha',
    'ranking',
    'u1',
    { input_tokens: 5000, output_tokens: 100 },
    { cacheHit: true },
  ), // served from a cache: 0
  fixture('e8', '2026-03-10T14:42:59.999Z', 'spend-beta', 'search', 'u2', {
    input_tokens: 100000,
    output_tokens: 20000,
  }), // 0.6
  fixture('e9', '2026-03-10T14:43:00Z', 'spend-alpha', 'search', 'u1', {
    input_tokens: 1,
    output_tokens: 1,
  }), // 0.00001
  fixture(
    'e10',
    '2026-03-10T15:10:00Z',
    'spend-beta',
    'ranking',
    'u2',
    { input_tokens: 50, output_tokens: 50 },
    { feature: 'chat' },
  ), // 0.0009
  fixture('e11', '2026-03-11T00:00:00Z', 'spend-alpha', 'search', 'u1', {
    input_tokens: 999,
    output_tokens: 1,
  }), // 0.002006
  fixture('e12', '2026-03-11T23:59:59.500Z', 'spend-beta', 'ranking', 'u1', {
    input_tokens: 1,
  }), // 0.000003
  fixture('e13', '2026-03-12T03:00:00Z', 'spend-alpha', 'ranking', 'u2', {
    input_tokens: 2_000_000,
    output_tokens: 1_000_000,
  }), // 12
  fixture('e14', '2026-03-10T11:30:00Z', 'spend-euro', 'search', 'u1', {
    input_tokens: 1000,
    output_tokens: 1000,
  }), // 0.024 EUR
  {
    // Sub-microsecond precision: Postgres rounds it to 11:00:00, so it belongs to hour 11.
    ...fixture('e15', '2026-03-10T10:59:59.9999999Z', 'spend-alpha', 'search', 'u1', {
      input_tokens: 100,
      output_tokens: 100,
    }), // 0.001
    at: '2026-03-10T11:00:00.000Z',
  },
];

type Dimension =
  'PROVIDER' | 'MODEL' | 'TEAM' | 'FEATURE' | 'PROJECT' | 'USER' | 'DAY' | 'HOUR' | 'CUSTOMER';

interface Row {
  dimensions: Record<string, string | null>;
  cost: string;
  requests: number;
  tokens: Record<string, number>;
}

interface Report {
  rows: Row[];
  total: string;
  currency: string;
  requests: number;
}

function costOf(item: Fixture): InstanceType<typeof Exact> {
  if (item.cacheHit) return new Exact(0);
  const { prices } = PRICES[item.model];
  return Object.entries(item.usage).reduce(
    (sum, [key, quantity]) => sum.plus(new Exact(prices[key]).times(quantity).div(1_000_000)),
    new Exact(0),
  );
}

/** The report computed from the fixtures alone, independently of the SQL. */
function expectedReport(
  project: string,
  from: string,
  to: string,
  groupBy: Dimension[],
  currency = 'USD',
  filter: (item: Fixture) => boolean = () => true,
): Report {
  const inside = FIXTURES.filter(
    (item) =>
      PRICES[item.model].currency === currency &&
      Date.parse(item.at) >= Date.parse(from) &&
      Date.parse(item.at) < Date.parse(to) &&
      filter(item),
  );
  const groups = new Map<string, Row & { exact: InstanceType<typeof Exact> }>();
  for (const item of inside) {
    const values: Record<string, string | null> = {
      provider: 'openai',
      model: item.model,
      team: item.team,
      feature: item.feature ?? null,
      project,
      user: item.user,
      customer: null,
      day: item.at.slice(0, 10),
      hour: `${item.at.slice(0, 13)}:00:00Z`,
    };
    const dimensions = Object.fromEntries(
      groupBy.map((dimension) => [dimension.toLowerCase(), values[dimension.toLowerCase()]]),
    );
    const id = JSON.stringify(dimensions);
    const row = groups.get(id) ?? {
      dimensions,
      cost: '0',
      exact: new Exact(0),
      requests: 0,
      tokens: Object.fromEntries(TOKEN_KEYS.map((key) => [key, 0])),
    };
    row.exact = row.exact.plus(costOf(item));
    row.requests += 1;
    for (const [key, quantity] of Object.entries(item.usage)) row.tokens[key] += quantity;
    groups.set(id, row);
  }
  const rows = [...groups.values()].map(({ exact, ...row }) => ({ ...row, cost: exact.toFixed() }));
  return {
    rows: sortRows(rows),
    total: rows.reduce((sum, row) => sum.plus(row.cost), new Exact(0)).toFixed(),
    currency,
    requests: rows.reduce((sum, row) => sum + row.requests, 0),
  };
}

const sortRows = (rows: Row[]) =>
  [...rows].sort((left, right) =>
    JSON.stringify(left.dimensions) < JSON.stringify(right.dimensions) ? -1 : 1,
  );

const SPEND = `query($from: DateTime!, $to: DateTime!, $groupBy: [SpendDimension!], $filter: SpendFilter, $currency: String) {
  spend(from: $from, to: $to, groupBy: $groupBy, filter: $filter, currency: $currency) {
    total currency requests rows { dimensions cost requests tokens }
  }
}`;

const GROUPINGS: Dimension[][] = [
  [],
  ['TEAM'],
  ['MODEL', 'DAY'],
  ['HOUR'],
  ['PROVIDER', 'USER', 'FEATURE'],
  ['DAY', 'HOUR', 'TEAM', 'MODEL', 'PROJECT', 'CUSTOMER'],
];

/** Every range: whole days, non-aligned edges, one partial hour, edges in the same hour. */
const RANGES: { name: string; from: string; to: string; total: string; requests: number }[] = [
  {
    name: 'three whole days',
    from: '2026-03-10T00:00:00Z',
    to: '2026-03-13T00:00:00Z',
    total: '13.2803415',
    requests: 14,
  },
  {
    name: '10:17 to 14:43',
    from: '2026-03-10T10:17:00Z',
    to: '2026-03-10T14:43:00Z',
    total: '1.2564225',
    requests: 7,
  },
  {
    name: '10:16:59.999 to 11:00 (one partial hour)',
    from: '2026-03-10T10:16:59.999Z',
    to: '2026-03-10T11:00:00Z',
    total: '0.6692365',
    requests: 4,
  },
  {
    name: '10:17 to 10:59:59.999 (edges in one hour)',
    from: '2026-03-10T10:17:00Z',
    to: '2026-03-10T10:59:59.999Z',
    total: '0.6551925',
    requests: 2,
  },
  {
    name: '11:00 to 15:00 (whole hours only)',
    from: '2026-03-10T11:00:00Z',
    to: '2026-03-10T15:00:00Z',
    total: '0.601196',
    requests: 5,
  },
];

describe('spend report', () => {
  let service: RunningPurser;
  let viewer: string;
  let project: string;

  beforeAll(async () => {
    service = await startPurser();
    viewer = await service.keyFor('viewer');
    for (const [model, { currency, prices }] of Object.entries(PRICES)) {
      await upsertPrice(service, {
        model,
        currency,
        effectiveFrom: '2026-01-01T00:00:00Z',
        prices: {
          inputTokens: prices.input_tokens,
          cacheReadTokens: prices.cache_read_tokens,
          outputTokens: prices.output_tokens,
        },
      });
    }
    const gateway = await service.keyFor('gateway');
    project = `spend-${Date.now()}`;
    const events = FIXTURES.map((item) =>
      makeUsageEvent({
        id: `${project}-${item.key}`,
        source: project,
        timestamp: item.timestamp,
        provider: 'openai',
        model: item.model,
        usage: item.usage,
        attribution: {
          team: item.team,
          user: item.user,
          project,
          ...(item.feature ? { feature: item.feature } : {}),
        },
        ...(item.cacheHit ? { cache_hit: true } : {}),
      }),
    );
    expect(await postUsage(service, gateway, events)).toMatchObject({
      accepted: FIXTURES.length,
      duplicates: 0,
      rejected: 0,
    });
  });
  afterAll(() => service.stop());

  const spend = async (variables: Record<string, unknown>, token?: string) => {
    const result = await service.graphql<{ spend: Report }>(
      SPEND,
      { ...variables, filter: { project, ...(variables.filter as object) } },
      token,
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return { ...result.data.spend, rows: sortRows(result.data.spend.rows) };
  };

  it('should price every fixture as the hand-computed totals say', () => {
    expect(expectedReport(project, RANGES[0].from, RANGES[0].to, [])).toMatchObject({
      total: '13.2803415',
      requests: 14,
    });
  });

  describe.each(RANGES)('over $name', ({ from, to, total, requests }) => {
    it.each(GROUPINGS.map((groupBy) => [groupBy.join(', ') || 'nothing', groupBy]))(
      'should group by %s into exact rows that add up to the period total',
      async (_name, groupBy) => {
        const report = await spend({ from, to, groupBy });
        expect(report).toEqual(expectedReport(project, from, to, groupBy as Dimension[]));
        expect(report.total).toBe(new Exact(total).toFixed());
        expect(report.requests).toBe(requests);
        const sum = report.rows.reduce((acc, row) => acc.plus(row.cost), new Exact(0));
        expect(sum.toFixed()).toBe(report.total);
        expect(report.rows.reduce((acc, row) => acc + row.requests, 0)).toBe(report.requests);
      },
    );
  });

  it('should count exactly the events inside non-aligned edges (10:17 to 14:43)', async () => {
    const report = await spend({
      from: '2026-03-10T10:17:00Z',
      to: '2026-03-10T14:43:00Z',
      groupBy: ['HOUR'],
    });
    expect(report.rows.map((row) => [row.dimensions.hour, row.requests, row.cost])).toEqual([
      ['2026-03-10T10:00:00Z', 3, '0.6552365'], // e3, e4, e6 — not e2 at 10:16:59.999
      ['2026-03-10T11:00:00Z', 2, '0.001186'], // e5, e15 (rounded to 11:00 by Postgres)
      ['2026-03-10T13:00:00Z', 1, '0'], // e7, a cache hit
      ['2026-03-10T14:00:00Z', 1, '0.6'], // e8 at 14:42:59.999 — not e9 at 14:43
    ]);
  });

  it('should place an event in the hour Postgres stores, whether read from the rollup or the events', async () => {
    const wholeHour = await spend({ from: '2026-03-10T10:00:00Z', to: '2026-03-10T11:00:00Z' });
    const partOfNextHour = await spend({
      from: '2026-03-10T11:00:00Z',
      to: '2026-03-10T11:00:00.001Z',
    });
    expect(wholeHour).toMatchObject({ requests: 4, total: '0.6692365' });
    expect(partOfNextHour).toMatchObject({ requests: 2, total: '0.001186' }); // e5, e15
  });

  it('should sum tokens per usage key', async () => {
    const report = await spend({
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-13T00:00:00Z',
      groupBy: ['TEAM'],
    });
    expect(report.rows).toEqual([
      {
        dimensions: { team: 'ranking' },
        cost: '12.015089',
        requests: 6,
        tokens: {
          input_tokens: 2008058,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          cache_write_1h_tokens: 0,
          output_tokens: 1001161,
          reasoning_tokens: 0,
        },
      },
      {
        dimensions: { team: 'search' },
        cost: '1.2652525',
        requests: 8,
        tokens: {
          input_tokens: 226566,
          cache_read_tokens: 656321,
          cache_write_tokens: 0,
          cache_write_1h_tokens: 0,
          output_tokens: 29495,
          reasoning_tokens: 0,
        },
      },
    ]);
  });

  it.each([
    ['team', { team: 'search' }, (item: Fixture) => item.team === 'search'],
    ['model', { model: 'spend-beta' }, (item: Fixture) => item.model === 'spend-beta'],
    ['user', { user: 'u2' }, (item: Fixture) => item.user === 'u2'],
    ['feature', { feature: 'chat' }, (item: Fixture) => item.feature === 'chat'],
    [
      'provider, team and user',
      { provider: 'openai', team: 'ranking', user: 'u1' },
      (item: Fixture) => item.team === 'ranking' && item.user === 'u1',
    ],
    ['an unknown team', { team: 'nobody' }, () => false],
  ])('should keep only the rows matching a filter on %s', async (_name, filter, keep) => {
    for (const range of RANGES.slice(0, 2)) {
      for (const groupBy of [[], ['MODEL', 'DAY']] as Dimension[][]) {
        const report = await spend({ from: range.from, to: range.to, groupBy, filter });
        expect(report).toEqual(expectedReport(project, range.from, range.to, groupBy, 'USD', keep));
      }
    }
    const none = await spend({
      from: RANGES[0].from,
      to: RANGES[0].to,
      filter: { team: 'nobody' },
    });
    expect(none).toEqual({ rows: [], total: '0', currency: 'USD', requests: 0 });
  });

  it('should report each currency on its own, without conversion', async () => {
    const euro = await spend({
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-13T00:00:00Z',
      groupBy: ['MODEL'],
      currency: 'eur',
    });
    expect(euro).toEqual({
      rows: [
        {
          dimensions: { model: 'spend-euro' },
          cost: '0.024',
          requests: 1,
          tokens: expect.objectContaining({ input_tokens: 1000, output_tokens: 1000 }),
        },
      ],
      total: '0.024',
      currency: 'EUR',
      requests: 1,
    });
    const dollars = await spend({
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-13T00:00:00Z',
      groupBy: ['MODEL'],
    });
    expect(dollars.rows.map((row) => row.dimensions.model)).toEqual(['spend-alpha', 'spend-beta']);
  });

  it.each([
    ['to before from', '2026-03-10T12:00:00Z', '2026-03-10T11:00:00Z'],
    ['to equal to from', '2026-03-10T12:00:00Z', '2026-03-10T12:00:00Z'],
  ])('should refuse %s with BAD_USER_INPUT', async (_name, from, to) => {
    const result = await service.graphql(SPEND, { from, to });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.data).toBeFalsy();
  });

  it('should cover 1,100 days, or 92 grouped by HOUR, and refuse a longer range naming to and the limit', async () => {
    const from = '2026-03-10T00:00:00Z';
    // The limits themselves are answered: every fixture is inside.
    expect(await spend({ from, to: '2029-03-14T00:00:00Z' })).toMatchObject({
      total: '13.2803415',
    });
    expect(await spend({ from, to: '2026-06-10T00:00:00Z', groupBy: ['HOUR'] })).toMatchObject({
      total: '13.2803415',
    });
    const refusals: [Record<string, unknown>, string][] = [
      [{ to: '2029-03-14T00:00:00.001Z' }, 'to: a report covers at most 1100 days (asked 1101)'],
      // Decades by the hour: refused by the range limit before the hourly one.
      [
        { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', groupBy: ['HOUR', 'TEAM'] },
        'to: a report covers at most 1100 days',
      ],
      [
        { to: '2026-06-10T01:00:00Z', groupBy: ['HOUR'] },
        'to: grouped by HOUR, a report covers at most 92 days (asked 93)',
      ],
    ];
    for (const [variables, message] of refusals) {
      const result = await service.graphql(SPEND, { from, ...variables });
      expect(result.errors?.[0]).toMatchObject({
        message: expect.stringContaining(message),
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(result.data).toBeFalsy();
    }
  });

  it.each(['viewer', 'finance'])('should answer a %s key', async (role) => {
    const token = role === 'viewer' ? viewer : await service.keyFor(role);
    const report = await spend({ from: '2026-03-10T00:00:00Z', to: '2026-03-13T00:00:00Z' }, token);
    expect(report).toMatchObject({ total: '13.2803415', requests: 14 });
  });

  it('should refuse a gateway key with FORBIDDEN', async () => {
    const gateway = await service.keyFor('gateway');
    const result = await service.graphql(
      SPEND,
      { from: '2026-03-10T00:00:00Z', to: '2026-03-13T00:00:00Z' },
      gateway,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.data).toBeFalsy();
  });
});
