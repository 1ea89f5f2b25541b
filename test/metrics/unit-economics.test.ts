// What unit tests cannot catch: business metrics stored once by id across requests and
// both APIs, and unit economics answered from real Postgres — the AI cost of each group
// equal to `spend` for the same groups and range (rollup hours and the partial hours at the
// ends alike), sums, division by zero, gross margin and its currency checks, and roles.
import { makeUsageEvent } from '@purser/adapters/testing';
import { Money } from '@purser/pricing';
import { randomBytes } from 'node:crypto';
import { postJson, postUsage, type RunningPurser, startPurser } from '../support/purser';

type Json = Record<string, unknown>;

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

const UNIT_ECONOMICS = `query($metric: String!, $from: DateTime!, $to: DateTime!, $groupBy: [SpendDimension!]) {
  unitEconomics(metric: $metric, from: $from, to: $to, groupBy: $groupBy) {
    dimensions cost metricValue costPerUnit currency metricCurrency
  }
}`;
const SPEND = `query($from: DateTime!, $to: DateTime!, $groupBy: [SpendDimension!]) {
  spend(from: $from, to: $to, groupBy: $groupBy) { total rows { dimensions cost } }
}`;
const GROSS_MARGIN = `query($metric: String!, $from: DateTime!, $to: DateTime!, $currency: String) {
  grossMargin(revenueMetric: $metric, from: $from, to: $to, currency: $currency) {
    revenue cost margin marginPercent currency rows { dimensions revenue cost margin marginPercent }
  }
}`;
const RECORD = `mutation($metrics: [BusinessMetricInput!]!) { recordBusinessMetrics(metrics: $metrics) }`;

describe('unit economics', () => {
  let service: RunningPurser;
  let gateway: string;
  let viewer: string;
  // Usage of this suite lives in its own database: the features are the suite's own.
  const feature = { bot: unique('bot'), search: unique('search'), mail: unique('mail') };

  const postMetrics = (body: unknown, token = gateway) =>
    postJson<Json>(`${service.url}/v1/metrics`, token, body);

  /** gpt-4o-mini: 0.15 per 1M input, 0.60 per 1M output (the default catalog). */
  const usage = (id: string, timestamp: string, attribution: Json, input: number, output = 0) =>
    makeUsageEvent({
      id,
      provider: 'openai',
      model: 'gpt-4o-mini',
      timestamp,
      usage: { input_tokens: input, output_tokens: output },
      attribution,
    });

  beforeAll(async () => {
    service = await startPurser();
    gateway = await service.keyFor('gateway');
    viewer = await service.keyFor('viewer');
    const events = [
      // bot: 0.15 + 0.0006 (a partial hour at the start of the range) + 0.3
      usage('u1', '2026-11-10T10:45:00Z', { feature: feature.bot, customer: 'acme' }, 1_000_000),
      usage('u2', '2026-11-10T12:10:00Z', { feature: feature.bot, customer: 'acme' }, 1000, 750),
      usage('u3', '2026-11-11T08:00:00Z', { feature: feature.bot, customer: 'globex' }, 2_000_000),
      // search: 0.0003, and a partial hour at the end of the range
      usage('u4', '2026-11-11T23:40:00Z', { feature: feature.search, customer: 'acme' }, 2000),
      // outside the range
      usage('u5', '2026-11-12T00:00:00Z', { feature: feature.search, customer: 'acme' }, 1000),
    ];
    expect((await postUsage(service, gateway, events)).accepted).toBe(5);
  });
  afterAll(() => service.stop());

  const range = { from: '2026-11-10T10:30:00Z', to: '2026-11-11T23:50:00Z' };

  it('should store a batch once: re-sent over REST or GraphQL it adds nothing', async () => {
    const metric = unique('tickets');
    const batch = [
      { id: unique('m'), name: metric, timestamp: '2026-11-10T11:00:00Z', value: '3' },
      { name: metric, timestamp: '2026-11-10T12:00:00Z', value: 2, attribution: { team: 't' } },
    ];
    const first = await postMetrics(batch);
    expect(first).toEqual({
      status: 200,
      body: {
        recorded: 2,
        duplicates: 0,
        rejected: 0,
        results: [
          { index: 0, id: batch[0]!.id, status: 'recorded', field: null, reason: null },
          {
            index: 1,
            id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
            status: 'recorded',
            field: null,
            reason: null,
          },
        ],
      },
    });
    expect((await postMetrics({ metrics: batch })).body).toMatchObject({
      recorded: 0,
      duplicates: 2,
    });
    // The same metrics through GraphQL (the derived id is the same there): none is new.
    const again = await service.graphql<{ recordBusinessMetrics: number }>(RECORD, {
      metrics: batch,
    });
    expect(again).toEqual({ data: { recordBusinessMetrics: 0 } });
    const fresh = await service.graphql<{ recordBusinessMetrics: number }>(RECORD, {
      metrics: [{ name: metric, timestamp: '2026-11-10T13:00:00Z', value: '1' }],
    });
    expect(fresh).toEqual({ data: { recordBusinessMetrics: 1 } });
    const rows = await service.purser.dataSource.query(
      'SELECT count(*)::int AS n, sum(value)::text AS total FROM business_metrics WHERE name = $1',
      [metric],
    );
    expect(rows).toEqual([{ n: 3, total: '6' }]);
  });

  it('should name each refused item and store the good ones of the same batch', async () => {
    const metric = unique('tickets');
    const answer = await postMetrics([
      { name: metric, timestamp: '2026-11-10T11:00:00Z', value: '1' },
      { name: metric, timestamp: '2026-11-10T11:00:00Z', value: '-1' },
      { name: metric, timestamp: 'yesterday', value: '1' },
      { name: metric, timestamp: '2026-11-10T12:00:00Z', value: '1', attribution: { who: 'x' } },
      'not a metric',
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ recorded: 1, duplicates: 0, rejected: 4 });
    const results = answer.body.results as Json[];
    expect(results.slice(1).map((item) => [item.index, item.field])).toEqual([
      [1, 'value'],
      [2, 'timestamp'],
      [3, 'attribution.who'],
      [4, ''],
    ]);
    expect(results[1]!.reason).toMatch(/^metrics\[1\]\.value: must be a non-negative/);
    expect(results[4]!.reason).toBe('metrics[4]: must be a JSON object (a metric)');
    // GraphQL's Int answer cannot say it per item: an error naming them, the good one stored.
    const graphql = await service.graphql(RECORD, {
      metrics: [
        { name: metric, timestamp: '2026-11-10T13:00:00Z', value: '1' },
        { name: metric, timestamp: '2026-11-10T13:00:00Z', value: '-2' },
        {
          name: metric,
          timestamp: '2026-11-10T14:00:00Z',
          value: '1',
          attribution: { session: 's' },
        },
      ],
    });
    expect(graphql.errors?.[0]).toMatchObject({
      message: expect.stringContaining(
        '2 of 3 metrics were refused: metrics[1].value: must be a non-negative',
      ),
      extensions: {
        code: 'BAD_USER_INPUT',
        recorded: 1,
        rejections: [
          { index: 1, field: 'value', reason: expect.any(String) },
          { index: 2, field: 'attribution.session', reason: expect.any(String) },
        ],
      },
    });
    const stored = await service.purser.dataSource.query(
      'SELECT count(*)::int AS n FROM business_metrics WHERE name = $1',
      [metric],
    );
    expect(stored).toEqual([{ n: 2 }]);
  });

  it('should refuse a body that is no list, an empty list and an oversized one', async () => {
    expect(await postMetrics({ name: 'x' })).toMatchObject({
      status: 400,
      body: { code: 'BAD_USER_INPUT', message: 'body.name: unknown field' },
    });
    expect(await postMetrics('text')).toMatchObject({ status: 400 });
    expect(await postMetrics([])).toMatchObject({
      status: 400,
      body: { message: 'body is an empty list: send at least one metric' },
    });
    const many = Array.from({ length: 5001 }, () => ({}));
    expect(await postMetrics({ metrics: many })).toMatchObject({
      status: 400,
      body: { message: 'at most 5000 metrics per request (got 5001)' },
    });
  });

  it('should answer cost per unit per group, with cost equal to spend for the same range', async () => {
    const metric = unique('resolved');
    const recorded = await postMetrics([
      {
        name: metric,
        timestamp: '2026-11-10T11:00:00Z',
        value: '3',
        attribution: { feature: feature.bot },
      },
      {
        name: metric,
        timestamp: '2026-11-11T20:00:00Z',
        value: '1',
        attribution: { feature: feature.bot, customer: 'x' },
      },
      {
        name: metric,
        timestamp: '2026-11-10T12:00:00Z',
        value: '0',
        attribution: { feature: feature.search },
      },
      {
        name: metric,
        timestamp: '2026-11-10T12:00:00Z',
        value: '5.5',
        attribution: { feature: feature.mail },
      },
      // outside the range: not summed
      {
        name: metric,
        timestamp: '2026-11-11T23:55:00Z',
        value: '100',
        attribution: { feature: feature.bot },
      },
    ]);
    expect(recorded.body.recorded).toBe(5);
    const answer = await service.graphql<{ unitEconomics: Json[] }>(UNIT_ECONOMICS, {
      metric,
      ...range,
      groupBy: ['FEATURE'],
    });
    const spend = await service.graphql<{ spend: { total: string; rows: Json[] } }>(SPEND, {
      ...range,
      groupBy: ['FEATURE'],
    });
    const spendOf = (name: string) =>
      spend.data!.spend.rows.find((row) => (row.dimensions as Json).feature === name)!.cost;
    expect(spendOf(feature.bot)).toBe('0.4506');
    expect(spendOf(feature.search)).toBe('0.0003');
    expect(answer.data!.unitEconomics).toEqual(
      [
        {
          dimensions: { feature: feature.bot },
          cost: '0.4506',
          metricValue: '4',
          costPerUnit: '0.11265',
        },
        {
          dimensions: { feature: feature.mail },
          cost: '0',
          metricValue: '5.5',
          costPerUnit: '0',
        },
        {
          dimensions: { feature: feature.search },
          cost: '0.0003',
          metricValue: '0',
          costPerUnit: null,
        },
      ]
        .sort((a, b) => (a.dimensions.feature < b.dimensions.feature ? -1 : 1))
        .map((row) => ({ ...row, currency: 'USD', metricCurrency: null })),
    );
    const costs = answer.data!.unitEconomics.map((row) => row.cost as string);
    const total = costs.reduce((sum, cost) => sum.plus(cost), new Money(0));
    expect(total.toFixed()).toBe(new Money(spend.data!.spend.total).toFixed());
  });

  it('should group by several keys and by day, and refuse provider and model', async () => {
    const metric = unique('resolved');
    await postMetrics([
      {
        name: metric,
        timestamp: '2026-11-11T09:00:00Z',
        value: '4',
        attribution: { feature: feature.bot, customer: 'globex' },
      },
    ]);
    const answer = await service.graphql<{ unitEconomics: Json[] }>(UNIT_ECONOMICS, {
      metric,
      ...range,
      groupBy: ['DAY', 'FEATURE', 'CUSTOMER'],
    });
    expect(answer.data!.unitEconomics).toContainEqual(
      expect.objectContaining({
        dimensions: { day: '2026-11-11', feature: feature.bot, customer: 'globex' },
        cost: '0.3',
        metricValue: '4',
        costPerUnit: '0.075',
      }),
    );
    const refused = await service.graphql(UNIT_ECONOMICS, { metric, ...range, groupBy: ['MODEL'] });
    expect(refused.errors?.[0]).toMatchObject({
      message: expect.stringContaining('groupBy: MODEL is not a dimension of business metrics'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('should answer customer gross margin, and refuse revenue in another currency', async () => {
    const revenue = unique('revenue');
    await postMetrics([
      {
        name: revenue,
        timestamp: '2026-11-10T12:00:00Z',
        value: '10',
        currency: 'usd',
        attribution: { customer: 'acme' },
      },
      {
        name: revenue,
        timestamp: '2026-11-11T12:00:00Z',
        value: '0.5',
        currency: 'USD',
        attribution: { customer: 'initech' },
      },
    ]);
    const answer = await service.graphql<{ grossMargin: Json }>(GROSS_MARGIN, {
      metric: revenue,
      ...range,
    });
    // acme: 0.15 + 0.0006 + 0.0003 of AI cost; globex 0.3 and no revenue.
    expect(answer.data!.grossMargin).toEqual({
      revenue: '10.5',
      cost: '0.4509',
      margin: '10.0491',
      marginPercent: '95.7057',
      currency: 'USD',
      rows: [
        {
          dimensions: { customer: 'acme' },
          revenue: '10',
          cost: '0.1509',
          margin: '9.8491',
          marginPercent: '98.491',
        },
        {
          dimensions: { customer: 'globex' },
          revenue: '0',
          cost: '0.3',
          margin: '-0.3',
          marginPercent: null,
        },
        {
          dimensions: { customer: 'initech' },
          revenue: '0.5',
          cost: '0',
          margin: '0.5',
          marginPercent: '100',
        },
      ],
    });
    const euros = unique('revenue');
    await postMetrics([
      {
        name: euros,
        timestamp: '2026-11-10T12:00:00Z',
        value: '10',
        currency: 'EUR',
        attribution: { customer: 'acme' },
      },
    ]);
    const mismatch = await service.graphql(GROSS_MARGIN, { metric: euros, ...range });
    expect(mismatch.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`is in EUR and the AI cost is asked in USD`),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const bare = unique('revenue');
    await postMetrics([{ name: bare, timestamp: '2026-11-10T12:00:00Z', value: '10' }]);
    const noCurrency = await service.graphql(GROSS_MARGIN, { metric: bare, ...range });
    expect(noCurrency.errors?.[0]?.message).toContain('was recorded without a currency');
  });

  it('should refuse a range over 1,100 days, or over 92 days by HOUR, naming to and the limit', async () => {
    const metric = unique('resolved');
    // At the hourly limit the answer is the range's own.
    const hourly = await service.graphql<{ unitEconomics: Json[] }>(UNIT_ECONOMICS, {
      metric,
      from: range.from,
      to: '2027-02-10T10:30:00Z',
      groupBy: ['HOUR'],
    });
    expect(hourly.errors).toBeUndefined();
    const refusals: [string, Json, string][] = [
      [
        UNIT_ECONOMICS,
        { to: '2027-02-10T10:30:00.001Z', groupBy: ['HOUR'] },
        'to: grouped by HOUR, a report covers at most 92 days (asked 93)',
      ],
      [
        UNIT_ECONOMICS,
        { from: '1990-01-01T00:00:00Z', to: '2090-01-01T00:00:00Z', groupBy: ['HOUR'] },
        'to: a report covers at most 1100 days',
      ],
      [
        GROSS_MARGIN,
        { to: '2029-11-14T10:30:00.001Z' },
        'to: a report covers at most 1100 days (asked 1101)',
      ],
    ];
    for (const [query, variables, message] of refusals) {
      const answer = await service.graphql(query, { metric, from: range.from, ...variables });
      expect(answer.errors?.[0]).toMatchObject({
        message: expect.stringContaining(message),
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(answer.data).toBeFalsy();
    }
  });

  it('should let a viewer read but not record, and a gateway record', async () => {
    const metric = unique('tickets');
    const one = [{ name: metric, timestamp: '2026-11-10T11:00:00Z', value: '1' }];
    expect((await postMetrics(one, viewer)).status).toBe(403);
    const denied = await service.graphql(RECORD, { metrics: one }, viewer);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const read = await service.graphql(UNIT_ECONOMICS, { metric, ...range }, viewer);
    expect(read).toEqual({
      data: { unitEconomics: [expect.objectContaining({ metricValue: '0' })] },
    });
    const ingestOnly = await service.graphql(UNIT_ECONOMICS, { metric, ...range }, gateway);
    expect(ingestOnly.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
