// What unit tests cannot catch: requests the GraphQL fuzz suite found answered as internal
// errors by a running production-mode service — a value the resolvers let through but Postgres
// cannot take (an id that is not a UUID, a NUL in a string, a negative page size), a
// subscription, a persisted query whose hash does not match — are refused with a code and a
// message naming what was wrong, and nothing is logged as an error.
import { startPurser, type RunningPurser } from '../support/purser';
import { errorCodes, expectNoErrorLogged, errorMessages, post } from './http-probe';

describe('errors the fuzz suite found (production mode)', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => service?.stop());
  expectNoErrorLogged(() => service);

  it.each([
    ['an id that is not a UUID', 'mutation { revokeApiKey(id: "gpt-4o") }', 'gpt-4o'],
    ['a NUL in a filter', '{ modelPrices(model: "nul\\u0000here") { id } }', 'U+0000'],
    [
      'a NUL in a budget name',
      'mutation { createBudget(input: { name: "a\\u0000b", limit: "1", period: DAILY, mode: BLOCK }) { id } }',
      'U+0000',
    ],
    // Refused by the resolver's page-size check before any SQL runs.
    [
      'a negative page size',
      '{ budgetAlerts(first: -1) { id } }',
      'first must be between 1 and 500 (got -1)',
    ],
  ])('should answer %s with BAD_USER_INPUT naming it', async (_name, query, named) => {
    const answer = await post(`${service.url}/graphql`, JSON.stringify({ query }), {
      authorization: `Bearer ${service.adminToken}`,
    });
    expect(errorCodes(answer.body)).toEqual(['BAD_USER_INPUT']);
    expect(errorMessages(answer.body)[0]).toContain(named);
  });

  const send = (body: Record<string, unknown>) =>
    post(`${service.url}/graphql`, JSON.stringify(body), {
      authorization: `Bearer ${service.adminToken}`,
    });

  it('should refuse a subscription, which this API has none of, as invalid', async () => {
    const answer = await send({ query: 'subscription { apiKeys { id } }' });
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(errorMessages(answer.body)[0]).toBe(
      'This API has no subscription type: subscription operations are not supported',
    );
  });

  it('should refuse a persisted query whose hash does not match with BAD_REQUEST', async () => {
    const answer = await send({
      query: '{ __typename }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } },
    });
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body)).toEqual(['BAD_REQUEST']);
    expect(errorMessages(answer.body)[0]).toBe('provided sha does not match query');
  });
});
