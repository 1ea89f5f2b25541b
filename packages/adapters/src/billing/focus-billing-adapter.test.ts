import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  classifyFocusRow,
  focusDay,
  importFocusFile,
  readFocusModel,
  tokenTypeOf,
} from './focus-billing-adapter';
import type { ProviderCostLine } from './provider-cost-line';
import { amountTotals } from './__fixtures__/totals';

const SAMPLE = join(__dirname, '__fixtures__/sample-focus-1.0-cloud.csv');
const WITH_AI = join(__dirname, '__fixtures__/sample-focus-1.0-cloud-with-ai-rows.csv');

const totals = (lines: ProviderCostLine[]) =>
  amountTotals(lines, (line) => `${line.day}|${line.provider}|${line.project}`);

/** A CSV text from a header and rows of values (null → NULL), quoting every string. */
function csv(header: string[], rows: (string | null)[][]): string {
  const quote = (value: string | null) =>
    value === null ? 'NULL' : `"${value.replace(/"/g, '""')}"`;
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

describe('importFocusFile', () => {
  it('should count and skip every row of the real 1.0 sample (no hosted model rows)', async () => {
    const result = await importFocusFile(createReadStream(SAMPLE));
    expect(result.lines).toEqual([]);
    expect(result.summary).toEqual({
      version: '1.0',
      rows: 1000,
      imported: 0,
      skipped: 1000,
      // 9 rows are Azure Machine Learning workspace compute: AI category, no hosted model
      skippedByReason: { not_model_service: 991, ai_service_not_model_hosting: 9, invalid_row: 0 },
      withoutModel: 0,
    });
    expect(result.warnings).toEqual([
      '9 "AI and Machine Learning" row(s) skipped as not a hosted model service: Azure Machine Learning (9)',
    ]);
  });

  it('should import the Bedrock, Azure OpenAI and Vertex AI rows of the copy with AI rows', async () => {
    const result = await importFocusFile(createReadStream(WITH_AI, { highWaterMark: 4096 }));
    expect(result.summary).toEqual({
      version: '1.0',
      rows: 1007,
      imported: 6,
      skipped: 1001,
      skippedByReason: { not_model_service: 991, ai_service_not_model_hosting: 9, invalid_row: 1 },
      withoutModel: 0,
    });
    expect(result.warnings).toEqual([
      // line 1009: the Bedrock output row before it spans two lines
      'line 1009: BilledCost "n/a" is not a decimal; model service row skipped',
      '9 "AI and Machine Learning" row(s) skipped as not a hosted model service: Azure Machine Learning (9)',
    ]);
    expect(totals(result.lines)).toEqual({
      '2024-09-18|bedrock|51738928782': '1.85185183518',
      '2024-09-19|azure|/subscriptions/64e355d7-997c-491d-b0c1-8414dccfcf42': '2.625',
      '2024-09-20|google|purser-prod-4711': '8.75',
    });
    expect(
      result.lines.map((line) => [line.model, line.tokenType, line.dimensions.model_source]),
    ).toEqual([
      ['Claude3.5Sonnet', 'input_tokens', 'SkuId'],
      ['Claude3.5Sonnet', 'output_tokens', 'SkuId'],
      ['gpt-4o-0513', 'input_tokens', 'ChargeDescription'],
      ['gpt 4.1', 'cache_read_tokens', 'ChargeDescription'],
      ['Gemini 2.5 Pro', 'input_tokens', 'ChargeDescription'],
      ['Gemini 2.5 Pro', 'output_tokens', 'ChargeDescription'],
    ]);
    expect(result.lines[0]).toMatchObject({
      lineItem: 'USE1-Claude3.5Sonnet-input-tokens.OnDemand',
      costType: 'tokens',
      amount: '1.23456789012',
      currency: 'USD',
      quantity: '411.52263004',
      unit: '1K Tokens',
      raw: expect.objectContaining({
        Tags: '{"team": "support", "feature": "answer-drafts, v2", "note": "quoted \\"value\\""}',
      }),
    });
    expect((result.lines[1]!.raw as Record<string, string>).ChargeDescription).toBe(
      '$0.015 per 1K output tokens for Claude 3.5 Sonnet, "on-demand",\nin US East (N. Virginia)',
    );
  });

  it('should take EffectiveCost when asked and stream lines through onLine', async () => {
    const seen: ProviderCostLine[] = [];
    const result = await importFocusFile(readFileSync(WITH_AI), {
      costColumn: 'EffectiveCost',
      onLine: (line) => {
        seen.push(line);
      },
    });
    expect(result.lines).toEqual([]);
    expect(totals(seen)['2024-09-20|google|purser-prod-4711']).toBe('8');
  });

  it('should read FOCUS 1.3 column names (ServiceProviderName, ServiceSubcategory, x_Model, SkuPriceDetails)', async () => {
    const header = [
      'BilledCost',
      'EffectiveCost',
      'BillingCurrency',
      'ChargePeriodStart',
      'ChargePeriodEnd',
      'ServiceName',
      'ServiceCategory',
      'ServiceSubcategory',
      'ServiceProviderName',
      'HostProviderName',
      'SubAccountId',
      'SkuId',
      'SkuPriceId',
      'SkuMeter',
      'SkuPriceDetails',
      'ConsumedQuantity',
      'ConsumedUnit',
      'x_Model',
      'Tags',
    ];
    const text = csv(header, [
      [
        '0.5',
        '0.5',
        'usd',
        '2026-07-01T00:00:00Z',
        '2026-07-02T00:00:00Z',
        'Amazon Bedrock',
        'AI and Machine Learning',
        'Generative AI',
        'AWS',
        'AWS',
        'acct-1',
        'sku-1',
        'sku-1/od',
        'Input Tokens',
        '{"x_TokenType": "input"}',
        '1000',
        'Tokens',
        'anthropic.claude-sonnet-4-5',
        '{"team": "a"}',
      ],
      [
        '0.25',
        '0.2',
        'USD',
        '2026-07-01T23:30:00-02:00',
        null,
        'Model Garden',
        'AI and Machine Learning',
        'Generative AI',
        'Google',
        'Google',
        'proj-9',
        'sku-2',
        null,
        'Output Tokens',
        '{"x_Model": "gemini-2.5-flash"}',
        '2000',
        'Tokens',
        null,
        'not json',
      ],
      [
        '9',
        '9',
        'USD',
        '2026-07-01T00:00:00Z',
        null,
        'Amazon SageMaker',
        'AI and Machine Learning',
        'Machine Learning',
        'AWS',
        'AWS',
        'acct-1',
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ],
      [
        '1',
        '1',
        'USD',
        '2026-07-01T00:00:00Z',
        null,
        'Amazon EC2',
        'Compute',
        'Virtual Machines',
        'AWS',
        'AWS',
        'acct-1',
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ],
    ]);
    const result = await importFocusFile(text);
    expect(result.summary).toMatchObject({
      version: '1.3',
      rows: 4,
      imported: 2,
      skippedByReason: { not_model_service: 1, ai_service_not_model_hosting: 1, invalid_row: 0 },
    });
    expect(
      result.lines.map((line) => [
        line.day,
        line.provider,
        line.model,
        line.tokenType,
        line.currency,
        line.dimensions.model_source,
      ]),
    ).toEqual([
      ['2026-07-01', 'bedrock', 'anthropic.claude-sonnet-4-5', 'input_tokens', 'USD', 'x_Model'],
      // 23:30 at UTC−2 is 01:30 UTC the next day
      ['2026-07-02', 'google', 'gemini-2.5-flash', 'output_tokens', 'USD', 'SkuPriceDetails'],
    ]);
    expect(result.warnings).toEqual([
      'line 3: Tags is not a JSON object; kept as text in raw',
      '1 "AI and Machine Learning" row(s) skipped as not a hosted model service: Amazon SageMaker (1)',
    ]);
  });

  it('should read a 1.2 file (ServiceSubcategory, SkuMeter) and give its version', async () => {
    const header = [
      'BilledCost',
      'BillingCurrency',
      'ChargePeriodStart',
      'ServiceName',
      'ServiceCategory',
      'ServiceSubcategory',
      'ProviderName',
      'SkuMeter',
      'SubAccountId',
    ];
    const result = await importFocusFile(
      csv(header, [
        [
          '0.1',
          'USD',
          '2026-07-01T00:00:00Z',
          'Azure OpenAI',
          'AI and Machine Learning',
          'Generative AI',
          'Microsoft',
          'gpt 4.1 Outp glbl Tokens',
          'sub-1',
        ],
      ]),
    );
    expect(result.summary.version).toBe('1.1-1.2');
    expect(
      result.lines.map((line) => [
        line.provider,
        line.model,
        line.tokenType,
        line.dimensions.model_source,
      ]),
    ).toEqual([['azure', 'gpt 4.1', 'output_tokens', 'SkuMeter']]);
  });

  it('should stream: each line is handed out before the source is read much further', async () => {
    // Each chunk holds 99 compute rows and one Bedrock row whose BilledCost is the chunk's
    // index. A reader that took in the whole file first would see every chunk before the
    // first line; a streaming one is never more than a chunk ahead.
    const header =
      'ServiceName,ServiceCategory,ChargePeriodStart,BillingCurrency,BilledCost,SkuId,ChargeDescription\n';
    const other =
      'Amazon Elastic Compute Cloud,Compute,2026-07-01 00:00:00,USD,1.5,BoxUsage,"compute, hours"\n';
    const chunks = 2000; // 200,000 rows, ~18 MB of text, each chunk a new string
    let yielded = 0;
    async function* source(): AsyncGenerator<string> {
      yield header;
      for (let index = 0; index < chunks; index += 1) {
        yielded = index + 1;
        yield `${other.repeat(50)}Amazon Bedrock,AI and Machine Learning,2026-07-01 00:00:00,USD,${index},USE1-Claude4Sonnet-input-tokens,"a, b"\n${other.repeat(49)}`;
      }
    }
    let lag = 0;
    let count = 0;
    const result = await importFocusFile(source(), {
      onLine: (line) => {
        count += 1;
        lag = Math.max(lag, yielded - 1 - Number(line.amount));
      },
    });
    expect(result.lines).toEqual([]);
    expect(result.summary).toMatchObject({ rows: 200_000, imported: 2000, skipped: 198_000 });
    expect(count).toBe(2000);
    expect(lag).toBe(0);
  });

  it('should refuse a file without the columns it needs, naming them', async () => {
    await expect(importFocusFile('a,b\n1,2\n')).rejects.toThrow(
      'FOCUS file: missing column(s) ServiceName, ChargePeriodStart, BillingCurrency, BilledCost in the header (found a, b)',
    );
    await expect(importFocusFile('')).rejects.toThrow('FOCUS file: empty (no header row)');
  });

  it('should keep warnings short and a __proto__ column a plain column', async () => {
    const result = await importFocusFile(
      `ServiceName,ChargePeriodStart,BillingCurrency,BilledCost,__proto__\nAmazon Bedrock,2026-07-01,USD,${'9'.repeat(100_000)}x,p\nAmazon Bedrock,2026-07-01,USD,1,p\n`,
    );
    expect(result.warnings[0]).toMatch(
      /^line 2: BilledCost "9{58}… is not a decimal; model service row skipped$/,
    );
    expect(Object.getPrototypeOf(result.lines[0]!.raw)).toBe(Object.prototype);
    expect(Object.keys(result.lines[0]!.raw as object)).toContain('__proto__');
  });

  it('should skip a row with the wrong number of fields, with a warning', async () => {
    const result = await importFocusFile(
      'ServiceName,ChargePeriodStart,BillingCurrency,BilledCost\nAmazon Bedrock,2026-07-01,USD\n',
    );
    expect(result.summary.skippedByReason.invalid_row).toBe(1);
    expect(result.warnings).toEqual(['line 2: 3 fields, the header has 4; row skipped']);
  });
});

describe('FOCUS row reading', () => {
  it.each([
    ['USE1-Claude4.6Opus-input-tokens', 'input_tokens'],
    ['USE1-Claude4Sonnet-cache-write-input-token-count-1-hour', 'cache_write_1h_tokens'],
    [
      'USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-global-standard',
      'cache_write_tokens',
    ],
    ['USE1-Claude4Sonnet-cache-read-input-token-count', 'cache_read_tokens'],
    ['gpt 4.1 Outp glbl Tokens', 'output_tokens'],
    ['GPT 5 Mini Inpt Glbl 1M Tokens', 'input_tokens'],
    ['Premium SSD Managed Disks', null],
  ])('should read the token type of %s', (text, expected) => {
    expect(tokenTypeOf(text)).toBe(expected);
  });

  it.each([
    [
      { x_UsageType: 'USE1-Claude4.6Opus-input-tokens-cross-region-global' },
      'Claude4.6Opus',
      'x_UsageType',
    ],
    [
      { SkuMeter: 'USE1-mistral.voxtral-small-24b-2507-mantle-input-tokens-standard' },
      'mistral.voxtral-small-24b-2507',
      'SkuMeter',
    ],
    [{ x_SkuMeterName: 'gpt-4o-0513 Inp glbl Tokens' }, 'gpt-4o-0513', 'x_SkuMeterName'],
    [
      {
        ChargeDescription:
          '$0.003 per 1K input tokens for Claude 3.5 Sonnet in US East (N. Virginia)',
        SkuId: 'G95FST5FTYV3JSRX',
      },
      'Claude 3.5 Sonnet',
      'ChargeDescription',
    ],
    [{ ChargeDescription: '$0.40 per million requests' }, null, 'none'],
  ])('should read the model of %j', (columns, model, source) => {
    const reading = readFocusModel((column) => (columns as Record<string, string>)[column] ?? null);
    expect([reading.model, reading.source]).toEqual([model, source]);
  });

  it.each([
    [{ ServiceName: 'Amazon Bedrock' }, { provider: 'bedrock' }],
    [{ ServiceName: 'Azure OpenAI Service' }, { provider: 'azure' }],
    [{ ServiceName: 'Vertex AI' }, { provider: 'google' }],
    [
      { ServiceName: 'Azure Machine Learning', ServiceCategory: 'AI and Machine Learning' },
      { skip: 'ai_service_not_model_hosting' },
    ],
    [
      { ServiceName: 'Amazon Simple Queue Service', ServiceCategory: 'Integration' },
      { skip: 'not_model_service' },
    ],
  ])('should classify %j', (columns, expected) => {
    expect(
      classifyFocusRow((column) => (columns as Record<string, string>)[column] ?? null),
    ).toEqual(expected);
  });

  it.each([
    ['2024-09-18 22:00:00', '2024-09-18'],
    ['2024-09-18T22:00:00Z', '2024-09-18'],
    ['2024-09-18T22:00:00.123+00:00', '2024-09-18'],
    ['2024-09-18T22:00:00-05:00', '2024-09-19'],
    ['2024-09-18', '2024-09-18'],
    ['2024-02-30T00:00:00Z', null],
    ['yesterday', null],
  ])('should date %s on the UTC day %s', (value, day) => {
    expect(focusDay(value)).toBe(day);
  });
});
