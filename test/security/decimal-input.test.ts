// What unit tests cannot catch: one decimal rule at every boundary of the running service —
// a budget or velocity limit finer than the nano-units it is enforced in is refused (a
// 40-decimal limit used to be stored and act as 0), and a usage event's reported cost is
// told the same rule, bounds included, whatever the path.
import { makeUsageEvent } from '@purser/adapters/testing';
import { decimalRule, NANO_AMOUNT_BOUNDS } from '@purser/pricing';
import { postUsageJson } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const FORTY_DECIMALS = `0.${'0'.repeat(39)}1`;

describe('decimal input: one validator, one message', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => service?.stop());

  const createBudget = (limit: string) =>
    service.graphql<{ createBudget: { id: string; limit: string } }>(
      `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id limit } }`,
      {
        input: {
          name: `decimal ${limit.slice(0, 20)}`,
          scope: { team: `decimal-${Date.now()}` },
          period: 'MONTHLY',
          mode: 'BLOCK',
          limit,
        },
      },
    );

  it.each([FORTY_DECIMALS, '0.0000000001', '1000000000000'])(
    'should refuse a budget limit of %s, naming the field and the bounds',
    async (limit) => {
      const result = await service.graphql(
        `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }`,
        { input: { name: 'too fine', period: 'MONTHLY', mode: 'BLOCK', limit } },
      );
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toContain(`limit ${decimalRule(NANO_AMOUNT_BOUNDS)}`);
    },
  );

  it('should take a limit at nano-unit precision exactly as written', async () => {
    const result = await createBudget('12.000000001');
    expect(result.errors).toBeUndefined();
    expect(result.data?.createBudget.limit).toBe('12.000000001');
  });

  it('should refuse a velocity limit finer than a nano-unit the same way', async () => {
    const result = await service.graphql(
      `mutation { createVelocityLimit(input: { name: "fine", scope: "team", metric: COST, limit: "${FORTY_DECIMALS}", windowSeconds: 60 }) { id } }`,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain(`limit ${decimalRule(NANO_AMOUNT_BOUNDS)}`);
  });

  it('should tell a reported cost with too many decimals the rule with its bounds', async () => {
    const gateway = await service.keyFor('gateway');
    const event = makeUsageEvent({
      id: `decimal-${Date.now()}`,
      source: 'decimal-suite',
      reported_cost: { amount: `0.${'0'.repeat(25)}1`, currency: 'USD' },
    });
    const response = await postUsageJson(service, gateway, [event]);
    const body = (await response.json()) as { results: { status: string; reason: string }[] };
    expect(response.status).toBeLessThan(500);
    expect(body.results[0].status).toBe('rejected');
    expect(body.results[0].reason).toContain(`reported_cost.amount: ${decimalRule()}`);
  });
});
