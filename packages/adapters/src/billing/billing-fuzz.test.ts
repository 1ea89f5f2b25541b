/**
 * Generated-input tests of every parser of outside data in billing: provider responses
 * (mutated fixtures and arbitrary text) and FOCUS CSV files. Each must answer or throw the
 * adapter's own error class, never anything else, and stay linear on pathological input.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

import { AdapterError } from '../errors';
import anthropicCostReport from './__fixtures__/anthropic-cost-report.json';
import anthropicUsageReport from './__fixtures__/anthropic-usage-report.json';
import openaiCosts from './__fixtures__/openai-costs.json';
import openaiUsage from './__fixtures__/openai-usage-completions.json';
import { createAnthropicBillingAdapter } from './anthropic-billing-adapter';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import { importFocusFile } from './focus-billing-adapter';
import { CsvRecordParser, type CsvField } from './focus-csv';
import { createOpenAIBillingAdapter } from './openai-billing-adapter';

/** A full garbage collection (the flag set at run time: no --expose-gc needed). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const RANGE = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-04T00:00:00Z') };
const RUNS = 150;

/** An adapter whose every request is answered 200 with `body`. */
function adapterAnswering(
  create: typeof createOpenAIBillingAdapter,
  body: () => string,
): BillingAdapterV1 {
  return create({
    apiKey: 'sk-test',
    baseUrl: 'http://127.0.0.1:9',
    maxAttempts: 1,
    fetch: async () => new Response(body(), { status: 200 }),
  });
}

/** Resolves, or rejects with an AdapterError; anything else fails the property. */
async function onlyAdapterErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!AdapterError.isInstance(error)) throw error;
  }
}

/** Every path to a value inside `value`. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value))
    value.forEach((item, index) => out.push(...paths(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
  }
  return out;
}

/** A deep copy of `value` with the values at some paths replaced (the root never). */
function mutate(value: unknown, edits: { at: number; to: unknown }[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const all = paths(copy).filter((path) => path.length > 0);
  for (const edit of edits) {
    const path = all[edit.at % all.length]!;
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = parent[key];
      if (typeof next !== 'object' || next === null) break;
      parent = next as Record<string | number, unknown>;
    }
    parent[path[path.length - 1]!] = edit.to;
  }
  return copy;
}

const edits = fc.array(
  fc.record({
    at: fc.nat(),
    to: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('1e999', '-0', '1.5', '', 'NaN', '99999999999999999999', null),
    ),
  }),
  { minLength: 1, maxLength: 6 },
);

describe('billing provider response parsers (generated input)', () => {
  it.each([
    ['openai costs', createOpenAIBillingAdapter, openaiCosts, 'doFetchCosts'],
    ['openai usage', createOpenAIBillingAdapter, openaiUsage, 'doFetchUsage'],
    ['anthropic costs', createAnthropicBillingAdapter, anthropicCostReport, 'doFetchCosts'],
    ['anthropic usage', createAnthropicBillingAdapter, anthropicUsageReport, 'doFetchUsage'],
  ] as const)(
    'should read a mutated %s page or throw an AdapterError',
    async (_label, create, fixture, method) => {
      await fc.assert(
        fc.asyncProperty(edits, async (changes) => {
          // has_more is forced false so a mutated next_page cannot loop on the same answer
          const body = JSON.stringify({ ...(mutate(fixture, changes) as object), has_more: false });
          await onlyAdapterErrors(() => adapterAnswering(create, () => body)[method]!(RANGE));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('should read arbitrary text or JSON or throw an AdapterError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary' })),
        async (text) => {
          for (const create of [createOpenAIBillingAdapter, createAnthropicBillingAdapter]) {
            const adapter = adapterAnswering(create, () => text);
            await onlyAdapterErrors(() => adapter.doFetchCosts!(RANGE));
            await onlyAdapterErrors(() => adapter.doFetchUsage!(RANGE));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each([
    ['deep nesting', `{"data":${'['.repeat(500_000)}`],
    ['200,000 decimal numbers', `{"data":[],"x":[${'1.25,'.repeat(200_000)}1]}`],
    ['one long number', `{"data":[],"x":${'9'.repeat(1_000_000)}}`],
    ['a long string', `{"data":[],"next_page":"${'a'.repeat(1_000_000)}"}`],
  ])('should answer a 1 MB body of %s in linear time', async (_label, body) => {
    // Timed against a plain 1 MB body, runs interleaved and the best of each kept, each after a
    // full collection (a long-lived jest worker's due collection otherwise lands in the body
    // that allocates most), so a loaded machine slows both alike. A quadratic pass would be
    // thousands of times slower; 200,000 numbers took 6x the plain body alone and 21x in a
    // loaded CI run, hence 40x.
    const plain = `{"data":[],"pad":"${'a'.repeat(body.length)}"}`;
    const pathological = adapterAnswering(createOpenAIBillingAdapter, () => body);
    const baseline = adapterAnswering(createOpenAIBillingAdapter, () => plain);
    let fastest = { pathological: Number.POSITIVE_INFINITY, baseline: Number.POSITIVE_INFINITY };
    for (let run = 0; run < 4; run += 1) {
      collectGarbage();
      let started = performance.now();
      await onlyAdapterErrors(() => baseline.doFetchCosts!(RANGE));
      const baselineMs = performance.now() - started;
      collectGarbage();
      started = performance.now();
      await onlyAdapterErrors(() => pathological.doFetchCosts!(RANGE));
      const pathologicalMs = performance.now() - started;
      fastest = {
        pathological: Math.min(fastest.pathological, pathologicalMs),
        baseline: Math.min(fastest.baseline, baselineMs),
      };
    }
    expect(fastest.pathological).toBeLessThan(Math.max(40 * fastest.baseline, 50));
  });
});

/** RFC 4180 text of `records`, every field quoted. */
function toCsv(records: string[][], lineEnd: string): string {
  return (
    records
      .map((record) => record.map((field) => `"${field.replace(/"/g, '""')}"`).join(','))
      .join(lineEnd) + lineEnd
  );
}

function parseAll(text: string, chunkSize: number): { records: CsvField[][] } | { error: string } {
  const parser = new CsvRecordParser({ maxRecordChars: 10_000 });
  const records: CsvField[][] = [];
  try {
    for (let start = 0; start < text.length; start += chunkSize) {
      parser.push(text.slice(start, start + chunkSize), (record) => records.push(record));
    }
    parser.end((record) => records.push(record));
    return { records };
  } catch (error) {
    if (!AdapterError.isInstance(error)) throw error;
    return { error: error.message };
  }
}

const csvText = fc
  .array(
    fc.constantFrom('a', 'NULL', '"', ',', '\n', '\r', '\r\n', '""', ' ', 'é', '{"k": "v"}', '1.5'),
    {
      maxLength: 60,
    },
  )
  .map((parts) => parts.join(''));

describe('FOCUS CSV parser (generated input)', () => {
  it('should give back any records written as RFC 4180, whatever the chunk size', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', '€', 'N', 'U', 'L'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 50 }),
        (records, lineEnd, chunkSize) => {
          expect(parseAll(toCsv(records, lineEnd), chunkSize)).toEqual({ records });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('should answer arbitrary text the same way in any chunking, or throw an AdapterError', () => {
    fc.assert(
      fc.property(csvText, fc.integer({ min: 1, max: 20 }), (text, chunkSize) => {
        expect(parseAll(text, chunkSize)).toEqual(parseAll(text, text.length + 1));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('should import arbitrary files with a FOCUS header, or throw an AdapterError, counting every row', async () => {
    const header =
      'ServiceName,ServiceCategory,ChargePeriodStart,BillingCurrency,BilledCost,SkuId,Tags\n';
    const row = fc
      .tuple(
        fc.constantFrom(
          'Amazon Bedrock',
          'Vertex AI',
          'Azure OpenAI',
          'Amazon EC2',
          'Azure Machine Learning',
          'NULL',
          '',
        ),
        fc.constantFrom('AI and Machine Learning', 'Compute', 'NULL'),
        fc.constantFrom('2026-07-01 00:00:00', '2026-07-01T23:00:00-05:00', 'x', 'NULL'),
        fc.constantFrom('USD', 'usd', 'EURO', 'NULL'),
        fc.constantFrom('1.5', '-0.25', '1e5', 'abc', 'NULL', '99999999999999999999999'),
        fc.constantFrom('USE1-Claude4Sonnet-input-tokens', '"a,b"', 'NULL'),
        fc.constantFrom('"{""a"": 1}"', '"not json"', 'NULL'),
      )
      .map((fields) => fields.join(','));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(row, csvText), { maxLength: 20 }), async (rows) => {
        try {
          const result = await importFocusFile(header + rows.join('\n'));
          const { summary } = result;
          expect(summary.imported + summary.skipped).toBe(summary.rows);
          expect(result.lines).toHaveLength(summary.imported);
          for (const line of result.lines) expect(line.amount).toMatch(/^-?\d+(\.\d+)?$/);
        } catch (error) {
          if (!AdapterError.isInstance(error)) throw error;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
