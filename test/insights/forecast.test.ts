// Forecasts on real Postgres through the service's GraphQL, on made-up history whose answer is
// computable by hand: team alpha spends 10.00 a day, team beta 4.00, team gamma 10.00 on
// weekdays and 4.00 on weekends (from 2026-09-01, at 06:00 UTC). On 2026-11-10 00:00 UTC
// (9 days of November done, 21 left: 15 weekdays, 6 weekend days):
// - org, November: actual 9 × 14 + 72 = 198; projected 198 + 21 × 14 + 15 × 10 + 6 × 4 = 666;
// - cost center CC-ALPHA (alpha DIRECT, gamma EVEN with CC-BETA): actual 90 + 36 = 126,
//   projected 126 + 210 + 87 = 423;
// - a monthly budget on team alpha in New York time: its window started 2026-11-01 04:00 UTC;
//   8 local days done (80) and today's 10 → actual 90; the rest of today (5 of 24 hours) and
//   21 days → 90 + 50/24 + 210 = 302.083333.
// Then: a past month answers its actual spend; errors name the argument; roles; generated args.
import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { randomBytes } from 'node:crypto';
import { gql, ingest, priceModels, type UsageFixture } from '../allocation/allocation-support';
import { createBudget } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const FORECAST = `query($scope: ForecastScopeInput!, $period: String, $currency: String) {
  forecast(scope: $scope, period: $period, currency: $currency) {
    scope period periodStart periodEnd asOf currency timezone limit
    actualToDate projected low high dailyRate historyDays method
  }
}`;
const DAY_MS = 86_400_000;
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe('forecast', () => {
  let service: RunningPurser;
  let viewer: string;
  let now = new Date('2026-11-10T00:00:00Z');
  let budgetId: string;
  let totalBudgetId: string;
  let alphaId: string;
  const alpha = unique('alpha');
  const beta = unique('beta');
  const gamma = unique('gamma');

  beforeAll(async () => {
    service = await startPurser({
      clock: () => now,
      env: { PURSER_ANOMALY_INTERVAL_SECONDS: '0' },
    });
    viewer = await service.keyFor('viewer');
    const gateway = await service.keyFor('gateway');
    await priceModels(service);
    await priceModels(service, ['eur-model'], 'EUR');
    const events: UsageFixture[] = [];
    for (let time = Date.parse('2026-09-01T06:00:00Z'); time < now.getTime(); time += DAY_MS) {
      const at = new Date(time).toISOString();
      const weekend = [0, 6].includes(new Date(time).getUTCDay());
      events.push(
        { id: unique('a'), at, input: 10, attribution: { team: alpha } },
        { id: unique('b'), at, input: 4, attribution: { team: beta } },
        { id: unique('g'), at, input: weekend ? 4 : 10, attribution: { team: gamma } },
        // Another currency (in no USD forecast): alternate weeks of 8 and 12 a day.
        {
          id: unique('e'),
          at,
          input:
            Math.floor((time - Date.parse('2026-09-14T00:00:00Z')) / (7 * DAY_MS)) % 2 === 0
              ? 8
              : 12,
          model: 'eur-model',
          attribution: { team: alpha },
        },
      );
    }
    await ingest(service, gateway, events);
    for (const code of ['CC-ALPHA', 'CC-BETA']) {
      await gql(
        service,
        `mutation($input: CostCenterInput!) { createCostCenter(input: $input) { id } }`,
        {
          input: { code, name: code },
        },
      );
    }
    const centers = await gql<{ costCenters: { id: string; code: string }[] }>(
      service,
      `{ costCenters { id code } }`,
    );
    alphaId = centers.costCenters.find((center) => center.code === 'CC-ALPHA')!.id;
    const rule = (
      name: string,
      priority: number,
      match: object,
      method: string,
      targets: string[],
    ) =>
      gql(
        service,
        `mutation($input: AllocationRuleInput!) { createAllocationRule(input: $input) { id } }`,
        {
          input: {
            name,
            priority,
            match,
            method,
            targets: targets.map((costCenter) => ({ costCenter })),
            effectiveFrom: '2026-08-01T00:00:00Z',
          },
        },
      );
    await rule('alpha', 10, { team: alpha }, 'DIRECT', ['CC-ALPHA']);
    await rule('beta', 20, { team: beta }, 'DIRECT', ['CC-BETA']);
    await rule('gamma shared', 30, { team: gamma }, 'EVEN', ['CC-ALPHA', 'CC-BETA']);
    const budget = await createBudget(service, {
      name: 'alpha monthly',
      scope: { team: alpha },
      period: 'MONTHLY',
      timezone: 'America/New_York',
      limit: '400',
      mode: 'ALERT_ONLY',
    });
    budgetId = budget.id;
    totalBudgetId = (
      await createBudget(service, {
        name: 'total',
        scope: { team: alpha },
        period: 'TOTAL',
        limit: '1',
        mode: 'ALERT_ONLY',
      })
    ).id;
  });
  afterAll(() => service.stop());

  const forecast = (variables: Record<string, unknown>, token = viewer) =>
    service.graphql<{ forecast: Record<string, unknown> }>(FORECAST, variables, token);

  it("should project the org's month with its weekday profile", async () => {
    const answer = await forecast({ scope: { org: true } });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.forecast).toEqual({
      scope: { org: true },
      period: '2026-11',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      asOf: '2026-11-10T00:00:00.000Z',
      currency: 'USD',
      timezone: 'UTC',
      limit: null,
      actualToDate: '198',
      projected: '666',
      low: '666',
      high: '666',
      // (5 × 24 + 2 × 18) / 7: the mean of the seven weekdays' spend
      dailyRate: '22.285714',
      historyDays: 56,
      method: 'RUN_RATE',
    });
  });

  it("should project a cost center's allocated spend, direct and shared, by code or id", async () => {
    const byCode = await forecast({ scope: { costCenter: 'CC-ALPHA' } });
    expect(byCode.data?.forecast).toMatchObject({
      scope: { costCenter: 'CC-ALPHA', costCenterId: alphaId, name: 'CC-ALPHA' },
      actualToDate: '126',
      projected: '423',
      low: '423',
      high: '423',
      method: 'RUN_RATE',
    });
    const byId = await forecast({ scope: { costCenterId: alphaId } });
    expect(byId.data?.forecast).toEqual(byCode.data?.forecast);
  });

  it('should project a budget over its window in its time zone, with its limit', async () => {
    const answer = await forecast({ scope: { budgetId } });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.forecast).toMatchObject({
      scope: { budgetId, name: 'alpha monthly', scope: { team: alpha } },
      period: 'monthly',
      periodStart: '2026-11-01T04:00:00.000Z',
      periodEnd: '2026-12-01T05:00:00.000Z',
      currency: 'USD',
      timezone: 'America/New_York',
      limit: '400',
      actualToDate: '90',
      projected: '302.083333',
      low: '302.083333',
      high: '302.083333',
      dailyRate: '10',
      method: 'RUN_RATE',
    });
  });

  it('should answer a past month with its actual spend', async () => {
    // October: 31 × 14, and gamma's 22 weekdays × 10 + 9 weekend days × 4.
    const answer = await forecast({ scope: { org: true }, period: '2026-10' });
    expect(answer.data?.forecast).toMatchObject({
      period: '2026-10',
      actualToDate: '690',
      projected: '690',
      low: '690',
      high: '690',
      method: 'CLOSED',
    });
  });

  it('should count the rest of today by its share of the day', async () => {
    now = new Date('2026-11-10T12:00:00Z');
    try {
      // Nothing yet today; half of a Tuesday (24) and 14 weekdays and 6 weekend days after.
      const answer = await forecast({ scope: { org: true } });
      expect(answer.data?.forecast).toMatchObject({
        actualToDate: '198',
        projected: '654',
        method: 'RUN_RATE',
      });
    } finally {
      now = new Date('2026-11-10T00:00:00Z');
    }
  });

  it('should give an 80 % interval from the spread of past daily spend', async () => {
    // EUR: alternate weeks of 8 and 12 a day (weeks from Monday 2026-09-14): the profile is
    // flat and the 56 days' sample variance 56 × 4 / 55. November 1–9: 8 + 7 × 12 + 8 = 100,
    // a rate of 100/9 over the 21 days left.
    const answer = await forecast({ scope: { org: true }, currency: 'eur' });
    const projected = new Money(100).plus(new Money(100).dividedBy(9).times(21));
    // 21 days' own spread (21 × 1²) and the rate's, estimated from 9 days of weight 1 and
    // applied to all 21 at once (21² × 9 / 9²).
    const half = new Money('1.2816')
      .times(new Money(224).dividedBy(55).sqrt())
      .times(new Money(21).plus(new Money(441).dividedBy(9)).sqrt());
    expect(answer.data?.forecast).toMatchObject({
      currency: 'EUR',
      actualToDate: '100',
      projected: '333.333333',
      low: projected.minus(half).toDecimalPlaces(6).toFixed(),
      high: projected.plus(half).toDecimalPlaces(6).toFixed(),
      method: 'RUN_RATE',
    });
  });

  it('should refuse bad arguments naming them, unknown scopes as NOT_FOUND, and a gateway key', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { scope: {} },
        'BAD_USER_INPUT',
        /^scope: give exactly one of budgetId, costCenter, costCenterId or org: true \(got none\)/,
      ],
      [{ scope: { org: true, budgetId } }, 'BAD_USER_INPUT', /^scope: .*\(got budgetId, org\)/],
      [{ scope: { org: false } }, 'BAD_USER_INPUT', /^scope: .*\(got none\)/],
      [
        { scope: { org: true }, period: '2026-12' },
        'BAD_USER_INPUT',
        /^period: 2026-12 has not started/,
      ],
      [
        { scope: { org: true }, period: 'Nov' },
        'BAD_USER_INPUT',
        /^period: must be a month as YYYY-MM/,
      ],
      [{ scope: { org: true }, currency: 'dollars' }, 'BAD_USER_INPUT', /^currency: /],
      [
        { scope: { budgetId }, period: '2026-11' },
        'BAD_USER_INPUT',
        /^period: a budget's forecast/,
      ],
      [
        { scope: { budgetId }, currency: 'USD' },
        'BAD_USER_INPUT',
        /^currency: a budget's forecast/,
      ],
      [
        { scope: { budgetId: totalBudgetId } },
        'BAD_USER_INPUT',
        /^scope\.budgetId: .* has period total/,
      ],
      [
        { scope: { budgetId: 'x'.repeat(300) } },
        'BAD_USER_INPUT',
        /^scope\.budgetId: must be 1 to 256/,
      ],
      [
        { scope: { budgetId: '00000000-0000-0000-0000-000000000000' } },
        'NOT_FOUND',
        /^budget "0{8}-/,
      ],
      [{ scope: { costCenter: 'CC-NONE' } }, 'NOT_FOUND', /^cost center "CC-NONE" was not found/],
    ];
    for (const [variables, code, message] of cases) {
      const answer = await forecast(variables);
      expect({ variables, code: answer.errors?.[0]?.extensions?.code }).toEqual({
        variables,
        code,
      });
      expect(answer.errors?.[0]?.message).toMatch(message);
    }
    const gateway = await service.keyFor('gateway');
    for (const scope of [{ org: true }, { budgetId }, { costCenter: 'CC-ALPHA' }]) {
      const answer = await forecast({ scope }, gateway);
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('should answer generated arguments with a forecast or a 4xx naming the argument', async () => {
    const text = fc.oneof(
      fc.constantFrom(
        '',
        'CC-ALPHA',
        '2026-11',
        '2026-10',
        '1999-01',
        '2026-13',
        'usd',
        'EUR',
        '\u0000',
        'x'.repeat(300),
      ),
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.constant(null),
    );
    const scope = fc.record(
      {
        budgetId: text,
        costCenter: text,
        costCenterId: text,
        org: fc.oneof(fc.boolean(), fc.constant(null), text),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        scope,
        fc.option(text, { nil: undefined }),
        fc.option(text, { nil: undefined }),
        async (scopeValue, period, currency) => {
          const answer = await forecast({
            scope: scopeValue,
            ...(period === undefined ? {} : { period }),
            ...(currency === undefined ? {} : { currency }),
          });
          if (answer.errors) {
            const [error] = answer.errors;
            expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(error?.extensions?.code);
            expect(error?.message).toMatch(
              /\$scope|\$period|\$currency|^scope|^period|^currency|^budget "|^cost center "/,
            );
          } else {
            expect(answer.data?.forecast.projected).toMatch(/^\d+(\.\d+)?$/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
