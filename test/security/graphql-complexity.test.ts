// What unit tests cannot catch: the complexity limit of a running production-mode service
// holds for operations of any size — every selection counts, aliases and `__typename`
// included, and an operation whose cost is not known is refused, never run — while variables
// that do not fit still answer BAD_USER_INPUT naming the variable.
import { startPurser, type RunningPurser } from '../support/purser';
import { errorCodes, errorMessages, post } from './http-probe';

describe('the complexity limit (production mode)', () => {
  let service: RunningPurser;
  let viewer: string;

  beforeAll(async () => {
    // Tokens are not what this suite is about: let documents be large.
    service = await startPurser({
      env: { NODE_ENV: 'production', GRAPHQL_MAX_TOKENS: '250000' },
    });
    viewer = await service.keyFor('viewer');
  });
  afterAll(() => service?.stop());

  const send = (query: string, variables?: Record<string, unknown>) =>
    post(`${service.url}/graphql`, JSON.stringify({ query, variables }), {
      authorization: `Bearer ${viewer}`,
    });

  const aliases = (count: number, selection: string) =>
    Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ');

  it('should count every alias of __typename, past 10,000 selections too', async () => {
    const answer = await send(`{ ${aliases(12_000, '__typename')} }`);
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(errorMessages(answer.body)).toEqual([
      'Query complexity 12000 exceeds the maximum of 5000',
    ]);
  });

  it('should refuse a costly operation past 10,000 selections instead of running it', async () => {
    // 11,000 aliases of a list of 500 events: a cost of millions.
    const answer = await send(
      `{ ${aliases(11_000, 'usageEvents(first: 500) { edges { cursor } }')} }`,
    );
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('should refuse fragments that expand past the limit, counted once per spread', async () => {
    let document = '{ ...L0 }';
    for (let level = 0; level < 4; level++) {
      const next = level < 3 ? ` ...L${level + 1}` : '';
      document += ` fragment L${level} on Query { ${aliases(10, `__typename${next}`)} }`;
    }
    const answer = await send(document);
    expect(answer.status).toBe(400);
    expect(errorCodes(answer.body)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(errorMessages(answer.body)).toEqual([
      'Query complexity 11110 exceeds the maximum of 5000',
    ]);
  });

  it('should answer an operation just under the limit', async () => {
    const answer = await send(`{ ${aliases(4_000, '__typename')} }`);
    expect(answer.status).toBe(200);
    expect(Object.keys((answer.body as { data: object }).data)).toHaveLength(4_000);
  });

  it.each([
    ['a string', 'many'],
    ['a number past 32 bits', 99_999_999_999],
    ['a fraction', 2.5],
  ])(
    'should answer BAD_USER_INPUT naming $first when it is %s, not QUERY_TOO_COMPLEX',
    async (_name, first) => {
      const answer = await send(
        'query($first: Int) { usageEvents(first: $first) { edges { node { id } } } }',
        { first },
      );
      expect(answer.status).toBe(400);
      expect(errorCodes(answer.body)).toEqual(['BAD_USER_INPUT']);
      expect(errorMessages(answer.body)[0]).toContain('$first');
    },
  );

  it('should count `first` from a variable, a literal and a variable default alike', async () => {
    // 1 + (1 + 10) × first: over 5,000 from 455 on.
    const selection = `usageEvents(first: $first) {
      edges { node { id source timestamp model cost currency priceCardId ingestPath unpriced } }
    }`;
    const costly = await send(`query($first: Int) { ${selection} }`, { first: 500 });
    expect(errorCodes(costly.body)).toEqual(['QUERY_TOO_COMPLEX']);
    const defaulted = await send(`query($first: Int = 500) { ${selection} }`);
    expect(errorCodes(defaulted.body)).toEqual(['QUERY_TOO_COMPLEX']);
    const literal = await send(`{ ${selection.replace('$first', '500')} }`);
    expect(errorCodes(literal.body)).toEqual(['QUERY_TOO_COMPLEX']);
    const small = await send(`query($first: Int) { ${selection} }`, { first: 5 });
    expect(small.status).toBe(200);
    expect(errorCodes(small.body)).toEqual([]);
  });
});
