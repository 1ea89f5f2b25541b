// Generated inputs for the billing GraphQL API against a real instance: billing source
// inputs, sync ranges, reconciliation arguments and FOCUS files (random text and mutations
// of a real file). Every answer is data or an error with a code and a message naming what
// was wrong — never an internal error — and a key given in an input never comes back.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPurser, type RunningPurser } from '../support/purser';

const FOCUS = readFileSync(join(__dirname, 'fixtures', 'focus-ai-rows.csv'), 'utf8');
const ALLOWED = new Set(['BAD_USER_INPUT', 'NOT_FOUND']);

type Answer = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

function expectNamedOrData(answer: Answer): void {
  for (const error of answer.errors ?? []) {
    // graphql-js refuses a variable of the wrong type before a resolver runs.
    const code = error.extensions?.code ?? '';
    expect([...ALLOWED, 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST']).toContain(code);
    expect(error.message.length).toBeGreaterThan(5);
  }
}

const text = fc.oneof(
  fc.constantFrom('', ' ', 'a\u0000b', 'lone \ud800', 'x'.repeat(5000), '../../etc', '__proto__'),
  fc.string({ maxLength: 60 }),
);
const url = fc.oneof(
  text,
  fc.webUrl(),
  fc.constantFrom('http://user:pw@h/', 'javascript:alert(1)', 'ftp://x', 'https://api.openai.com'),
);

describe('billing inputs (generated)', () => {
  let service: RunningPurser;
  let focusId: string;

  beforeAll(async () => {
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'fuzz-test-secret-of-at-least-32-chars' },
    });
    const created = await service.graphql<{ createBillingSource: { id: string } }>(
      `mutation { createBillingSource(input: { provider: "focus", name: "cloud" }) { id } }`,
    );
    focusId = created.data!.createBillingSource.id;
  });
  afterAll(() => service?.stop());

  it('should import the FOCUS AI rows, and nothing twice', async () => {
    const IMPORT = `mutation($id: ID!, $csv: String!) { importFocusFile(sourceId: $id, csv: $csv) { linesImported linesUnchanged linesRestated warnings } }`;
    const first = await service.graphql<{ importFocusFile: Record<string, unknown> }>(IMPORT, {
      id: focusId,
      csv: FOCUS,
    });
    expect(first.errors).toBeUndefined();
    expect(first.data!.importFocusFile).toMatchObject({ linesImported: 6, linesRestated: 0 });
    const again = await service.graphql<{ importFocusFile: Record<string, unknown> }>(IMPORT, {
      id: focusId,
      csv: FOCUS,
    });
    expect(again.data!.importFocusFile).toMatchObject({ linesImported: 0, linesUnchanged: 6 });
  });

  it('should answer generated billing source inputs with data or a named error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            provider: fc.oneof(fc.constantFrom('openai', 'anthropic', 'focus'), text),
            name: text,
            baseUrl: fc.option(url),
            apiKey: fc.option(text),
          },
          { requiredKeys: ['provider', 'name'] },
        ),
        async (input) => {
          const answer = await service.graphql(
            `mutation($input: BillingSourceInput!) { createBillingSource(input: $input) { id name baseUrl hasApiKey } }`,
            { input },
          );
          expectNamedOrData(answer);
          // A key that is also in another field (name "__proto__", key "__proto__") may come
          // back as that field: only a key given once is checked.
          const key = input.apiKey;
          const elsewhere = [input.provider, input.name, input.baseUrl].some(
            (field) => typeof field === 'string' && typeof key === 'string' && field.includes(key),
          );
          if (typeof key === 'string' && key.length >= 8 && !elsewhere) {
            expect(JSON.stringify(answer)).not.toContain(key);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('should answer generated sync and reconciliation arguments with data or a named error', async () => {
    const instant = fc.oneof(
      fc
        .date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.constantFrom('2026-07-01T00:00:00Z', 'not a date', '2026-02-30T00:00:00Z'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(text, fc.constant(focusId), fc.uuid()),
        instant,
        instant,
        fc.option(
          fc.array(fc.constantFrom('DAY', 'MODEL', 'PROJECT', 'TOKEN_TYPE', 'HOUR'), {
            maxLength: 6,
          }),
        ),
        fc.option(fc.oneof(fc.constantFrom('0', '1', '100', '100.0000001', '-1', '1e3'), text)),
        async (id, from, to, groupBy, tolerancePercent) => {
          expectNamedOrData(
            await service.graphql(
              `mutation($id: ID!, $from: DateTime!, $to: DateTime!) { syncBillingSource(id: $id, from: $from, to: $to) { linesImported } }`,
              { id, from, to },
            ),
          );
          expectNamedOrData(
            await service.graphql(
              `query($p: String!, $from: DateTime!, $to: DateTime!, $g: [ReconciliationDimension!], $t: Decimal) {
                reconciliation(provider: $p, from: $from, to: $to, groupBy: $g, tolerancePercent: $t) { billed rows { status } } }`,
              { p: id, from, to, g: groupBy, t: tolerancePercent },
            ),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it('should answer generated and mutated FOCUS files with data or a named error', async () => {
    const mutated = fc
      .tuple(fc.nat({ max: FOCUS.length }), fc.nat({ max: 200 }), fc.string({ maxLength: 20 }))
      .map(([at, cut, insert]) => FOCUS.slice(0, at) + insert + FOCUS.slice(at + cut));
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, mutated, fc.string({ maxLength: 2000 })), async (csv) => {
        expectNamedOrData(
          await service.graphql(
            `mutation($id: ID!, $csv: String!) { importFocusFile(sourceId: $id, csv: $csv) { linesImported } }`,
            { id: focusId, csv },
          ),
        );
      }),
      { numRuns: 60 },
    );
  });
});
