// What unit tests cannot catch: generated query strings sent to the running export routes
// (Express's query parser included) — a `month` or any other parameter, well formed or not,
// answers 200 with CSV or 400 naming the parameter; never a 500, never an unnamed error.
import fc from 'fast-check';
import { startPurser, type RunningPurser } from '../support/purser';
import { getExport } from './exports-support';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

describe('export query strings, generated', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
  });
  afterAll(() => service?.stop());

  const month = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc
      .tuple(fc.integer({ min: -10, max: 12_000 }), fc.integer({ min: -1, max: 14 }))
      .map(([year, value]) => `${year}-${String(value).padStart(2, '0')}`),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString().slice(0, 7)),
  );

  it('should answer a generated month 200 (a real month) or 400 naming month', async () => {
    await fc.assert(
      fc.asyncProperty(month, fc.constantFrom('chargeback', 'journal'), async (value, kind) => {
        const answer = await getExport(service, `${kind}?month=${encodeURIComponent(value)}`);
        if (MONTH.test(value) && Number(value.slice(0, 4)) >= 1970) {
          expect(answer.status).toBe(200);
          expect(answer.records[0]?.[0]).toBe('month');
        } else {
          expect(answer.status).toBe(400);
          expect(JSON.parse(answer.text)).toMatchObject({
            code: 'BAD_USER_INPUT',
            message: expect.stringMatching(/^month: /),
          });
        }
      }),
      { numRuns: 120 },
    );
  });

  it('should answer any generated query string with 200 or a 400/404 that names a parameter', async () => {
    const key = fc.oneof(
      fc.constantFrom('month', 'currency', 'costCenter', 'providerAccounts', 'month[]', 'month[a]'),
      fc.string({ maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.string({ maxLength: 16 })), { maxLength: 4 }),
        fc.constantFrom('chargeback', 'journal'),
        async (pairs, kind) => {
          const query = new URLSearchParams([['month', '2026-11'], ...pairs]).toString();
          const answer = await getExport(service, `${kind}?${query}`);
          expect([200, 400, 404]).toContain(answer.status);
          if (answer.status !== 200) {
            const body = JSON.parse(answer.text) as { message: string };
            expect(body.message).toMatch(
              /^("(?:[^"\\]|\\.)*"|month|currency|costCenter|providerAccounts|detail|cost center)[: ]/,
            );
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
