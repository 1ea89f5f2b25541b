// What unit tests cannot catch: a gateway plugin that already speaks OPA's Data API calling
// Purser unchanged. The caller here is Styra's own client (@styra/opa), not our fetch: if
// its request or its parsing of the answer disagreed with Purser's route, this fails.
import { randomBytes } from 'node:crypto';
import { OPAClient } from '@styra/opa';
import { OpaApiClient } from '@styra/opa/sdk/sdk';
import { ClientError, SDKError } from '@styra/opa/sdk/models/errors';
import { type BudgetAnswer, pennyBudget } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';

const PATH = 'purser/authz/decision';

interface RestDecision {
  decision_id: string;
  allow: boolean;
  action: string;
  model: string;
  max_output_tokens: number;
  reasons: { code: string; message: string; budget_id: string | null }[];
  budgets: (Omit<BudgetAnswer, 'resetsAt'> & { resets_at: string | null })[];
  reservation: { id: string; amount: string; currency: string; expires_at: string } | null;
  estimated_cost: string | null;
  policy_revision: string;
}

describe('OPA-compatible REST decision API', () => {
  let service: RunningPurser;
  let gateway: string;
  let viewer: string;
  const model = `rest-model-${randomBytes(4).toString('hex')}`;
  const team = `t-${randomBytes(5).toString('hex')}`;
  let budgetId: string;

  const input = (overrides: Record<string, unknown> = {}) => ({
    provider: 'openai',
    model,
    attribution: { team, feature: 'chat', environment: 'production' },
    estimated_input_tokens: 1000,
    max_output_tokens: 500,
    ...overrides,
  });

  const client = (token?: string) =>
    new OPAClient(service.url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  const lowLevel = (token: string) =>
    new OpaApiClient({ serverURL: service.url }).executePolicyWithInput(
      { path: PATH, requestBody: { input: input() } },
      { fetchOptions: { headers: { authorization: `Bearer ${token}` } } },
    );

  beforeAll(async () => {
    service = await startPurser();
    gateway = await service.keyFor('gateway');
    viewer = await service.keyFor('viewer');
    // Every request holds exactly $0.01.
    budgetId = await pennyBudget(service, model, {
      name: `rest ${team}`,
      team,
      period: 'MONTHLY',
      limit: '0.025',
    });
  });
  afterAll(() => service.stop());

  it('should allow through OPAClient.evaluate and hold the worst case on the budget', async () => {
    const result = await client(gateway).evaluate<ReturnType<typeof input>, RestDecision>(
      PATH,
      input(),
    );
    expect(result).toMatchObject({
      allow: true,
      action: 'allow',
      model,
      max_output_tokens: 500,
      reasons: [],
      estimated_cost: '0.01',
      reservation: { amount: '0.01', currency: 'USD' },
      budgets: [{ id: budgetId, limit: '0.025', spent: '0', reserved: '0.01', remaining: '0.015' }],
    });
    expect(result.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.policy_revision).toEqual(expect.any(String));
    expect(Date.parse(result.reservation!.expires_at)).toBeGreaterThan(Date.now());
  });

  it('should answer decision_id at the top level equal to result.decision_id', async () => {
    const answer = await lowLevel(gateway);
    expect(answer.httpMeta.response.status).toBe(200);
    const body = answer.successfulPolicyResponse!;
    expect(body.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((body.result as RestDecision).decision_id).toBe(body.decisionId);
    expect((body.result as RestDecision).budgets[0]).toMatchObject({
      reserved: '0.02',
      remaining: '0.005',
    });
  });

  it('should deny past the budget with budget_exceeded naming it, and hold nothing', async () => {
    const result = await client(gateway).evaluate<ReturnType<typeof input>, RestDecision>(
      PATH,
      input(),
    );
    expect(result).toMatchObject({
      allow: false,
      action: 'deny',
      reservation: null,
      reasons: [{ code: 'budget_exceeded', budget_id: budgetId }],
    });
    const [row] = await service.purser.dataSource.query(
      `SELECT count(*)::int AS n, coalesce(sum(amount), 0)::text AS held FROM reservations WHERE status = 'held'`,
    );
    expect(row).toEqual({ n: 2, held: '0.02' });
  });

  it('should answer 401 without a key and 403 for a viewer, with a JSON code', async () => {
    // The SDK maps 401/403 to an SDKError with the status but discards the body (only 400 and
    // 500 bodies are parsed, as OPA's spec defines no others), so the body is read with fetch.
    const refusal = async (token?: string) => {
      const error = await client(token)
        .evaluate(PATH, input())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SDKError);
      const response = await fetch(`${service.url}/v1/data/${PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ input: input() }),
      });
      return {
        sdkStatus: (error as SDKError).httpMeta.response.status,
        sdkContentType: (error as SDKError).httpMeta.response.headers.get('content-type'),
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      };
    };
    expect(await refusal()).toEqual({
      sdkStatus: 401,
      sdkContentType: expect.stringContaining('application/json'),
      status: 401,
      body: { code: 'UNAUTHENTICATED', message: expect.any(String) },
    });
    expect(await refusal(viewer)).toEqual({
      sdkStatus: 403,
      sdkContentType: expect.stringContaining('application/json'),
      status: 403,
      body: expect.objectContaining({ code: 'FORBIDDEN', message: expect.any(String) }),
    });
    expect(await refusal('not-a-key')).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHENTICATED' },
    });
  });

  it.each([
    ['a missing model', { model: undefined }, 'input.model'],
    ['negative input tokens', { estimated_input_tokens: -1 }, 'input.estimated_input_tokens'],
    ['fractional output tokens', { max_output_tokens: 1.5 }, 'input.max_output_tokens'],
    ['a non-object attribution', { attribution: 'team-a' }, 'input.attribution'],
  ])('should answer 400 naming the field for %s', async (_name, overrides, field) => {
    const error = await client(gateway)
      .evaluate(PATH, input(overrides))
      .catch((caught: unknown) => caught);
    // A 400 is OPA's documented client error: the SDK parses it into a ClientError.
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('BAD_USER_INPUT');
    expect((error as ClientError).message).toContain(field);
  });
});
