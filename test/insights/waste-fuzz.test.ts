// What unit tests cannot catch: generated variables for wasteReport against a production-mode
// service on real Postgres. Every answer is findings or a 4xx/200 with errors whose code is a
// client one and whose message names the argument at fault — never a 5xx, never an internal
// error, never an error the service logged.
import fc from 'fast-check';
import { errorCodes, errorMessages, expectNoErrorLogged, post } from '../security/http-probe';
import { startPurser, type RunningPurser } from '../support/purser';
import { WASTE } from './waste-seed';

const DAY = 86_400_000;
const BASE = Date.parse('2026-11-01T00:00:00Z');

const instant = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .integer({ min: -200, max: 200 })
      .map((days) => new Date(BASE + days * DAY + 3_600_000 * (days % 7)).toISOString()),
  },
  fc.constantFrom(
    '',
    'yesterday',
    '2026-02-30T00:00:00Z',
    '2026-11-20T10:00:00+25:00',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '275760-09-13T00:00:00Z',
    '2026-11-20',
    'a\u0000b',
    null,
    0,
    -1,
    1e21,
    true,
    [],
    {},
  ),
);
const limit = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  fc.integer({ min: -5, max: 600 }),
  fc.constantFrom(0, 2 ** 31, -(2 ** 31) - 1, 1.5, '10', null, Number.MAX_SAFE_INTEGER),
);
const currency = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  fc.constantFrom('USD', 'usd', 'EUR', 'US', 'USDX', '', 'x'.repeat(300), '\u0000', null, 5),
  fc.string({ maxLength: 5 }),
);

/** Which argument a refusal names: its own prefix, or GraphQL's "$variable" wording. */
const NAMES_AN_ARGUMENT = /(^(from|to|limit|currency): )|\$(from|to|limit|currency)\b/;

describe('generated wasteReport arguments', () => {
  let service: RunningPurser;
  let viewer: string;
  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    viewer = await service.keyFor('viewer');
  });
  afterAll(() => service?.stop());
  expectNoErrorLogged(() => service);

  it('should answer findings or errors naming the argument, never an internal error', async () => {
    const query = WASTE.replace('$limit: Int)', '$limit: Int, $currency: String)').replace(
      'limit: $limit)',
      'limit: $limit, currency: $currency)',
    );
    let answered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(instant, instant, limit, currency, async (from, to, first, money) => {
        const variables = { from, to, limit: first, currency: money };
        const answer = await post(`${service.url}/graphql`, JSON.stringify({ query, variables }), {
          authorization: `Bearer ${viewer}`,
        });
        expect(answer.status).toBeLessThan(500);
        const codes = errorCodes(answer.body);
        if (codes.length === 0) {
          expect(answer.status).toBe(200);
          expect(
            Array.isArray((answer.body as { data: { wasteReport: unknown } }).data.wasteReport),
          ).toBe(true);
          answered += 1;
          return;
        }
        refused += 1;
        for (const code of codes)
          expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(code);
        for (const message of errorMessages(answer.body))
          expect(message).toMatch(NAMES_AN_ARGUMENT);
      }),
      { numRuns: 150, seed: 1763 },
    );
    // The generator reaches both sides.
    expect(answered).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(20);
  });

  it('should name the limit and the days asked for a range over 93 days', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 94, max: 5000 }), async (days) => {
        const variables = {
          from: new Date(BASE).toISOString(),
          to: new Date(BASE + days * DAY).toISOString(),
        };
        const answer = await post(
          `${service.url}/graphql`,
          JSON.stringify({ query: WASTE, variables }),
          {
            authorization: `Bearer ${viewer}`,
          },
        );
        expect(errorCodes(answer.body)).toEqual(['BAD_USER_INPUT']);
        expect(errorMessages(answer.body)).toEqual([
          `to: a waste report covers at most 93 days (asked ${days}); ask for shorter ranges`,
        ]);
      }),
      { numRuns: 25, seed: 93 },
    );
  });
});
