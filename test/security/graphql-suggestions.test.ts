// What unit tests cannot catch: with introspection off, a running production-mode service
// must not reveal its schema through "Did you mean …?" suggestions, to any caller, from
// validation or from variable coercion; the error still names what was wrong.
import { servePurser } from '../support/purser';
import { errorCodes, errorMessages, post } from './http-probe';

describe('schema suggestions (production mode)', () => {
  const served = servePurser('viewer', { start: { env: { NODE_ENV: 'production' } } });

  const send = (
    query: string,
    variables: Record<string, unknown> | undefined,
    headers: Record<string, string>,
  ) => post(`${served.service.url}/graphql`, JSON.stringify({ query, variables }), headers);

  it.each([
    ['a misspelt root field', '{ apiKey { id } }', undefined, 'apiKey'],
    ['a misspelt nested field', '{ apiKeys { nmae } }', undefined, 'nmae'],
    [
      'a misspelt argument',
      '{ modelPrice(provider: "openai", modle: "x") { id } }',
      undefined,
      'modle',
    ],
    [
      'a misspelt enum value in a variable',
      'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }',
      { input: { name: 'x', scope: {}, limit: '1', period: 'MONTHY', mode: 'BLOCK' } },
      'MONTHY',
    ],
    [
      'a misspelt input field in a variable',
      'mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id } }',
      { input: { name: 'x', scope: {}, limit: '1', perod: 'MONTHLY', mode: 'BLOCK' } },
      'perod',
    ],
  ])('should name %s without suggesting the schema', async (_name, query, variables, misspelt) => {
    const anonymous = await send(query, variables, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toMatch(/did you mean/i);

    const answer = await send(query, variables, { authorization: `Bearer ${served.key}` });
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body).length).toBeGreaterThan(0);
    expect(answer.text).not.toMatch(/did you mean/i);
    expect(errorMessages(answer.body).join(' ')).toContain(misspelt);
  });
});
