import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { AdapterError } from '../errors';
import { BillingHttpError } from './billing-http-error';
import { WarningList } from './billing-json';
import { json, replaySuite, twoPages as twoPagesOf } from './__fixtures__/replay-server';
import { openaiCostsPage2, openaiUsagePage2 } from './__fixtures__/second-pages';
import {
  convertOpenAICostsBucket,
  createOpenAIBillingAdapter,
  parseOpenAILineItem,
} from './openai-billing-adapter';
import { dayProjectTotals as totals } from './__fixtures__/totals';

const COSTS_TEXT = readFileSync(join(__dirname, '__fixtures__/openai-costs.json'), 'utf8');
const USAGE_TEXT = readFileSync(
  join(__dirname, '__fixtures__/openai-usage-completions.json'),
  'utf8',
);
const API_KEY = 'sk-admin-SECRET-0123456789abcdef';
const PAGE_TOKEN = 'page_AAAAAGpJCdFcHponAAAAAGpG+4A=';
const RANGE = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-04T00:00:00Z') };
const P1 = 'proj_R8kNq2VxW4tY6uZ1aB3cD5eF';
const P2 = 'proj_L2mP7sT9vX1zC4bN6hJ8kQ0w';

/** Page 1 (the fixture text as is) without `page`, page 2 (built) with the fixture's token. */
const twoPages = (page1: string, page2: unknown) =>
  twoPagesOf(page1, page2, PAGE_TOKEN, { error: { message: 'unknown page' } });

describe('createOpenAIBillingAdapter (against a local replay server)', () => {
  const suite = replaySuite({ apiKey: API_KEY, random: 0.5 });
  const { sleeps, warnings, settings } = suite;

  it('should follow next_page and give the README per-day totals exactly, both field sets', async () => {
    const server = await suite.start(twoPages(COSTS_TEXT, openaiCostsPage2()));
    const result = await createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE);

    expect(result.pages).toBe(2);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first!.path).toBe('/v1/organization/costs');
    expect(first!.query.get('start_time')).toBe('1782864000');
    expect(first!.query.get('end_time')).toBe('1783123200');
    expect(first!.query.get('bucket_width')).toBe('1d');
    expect(first!.query.getAll('group_by[]')).toEqual(['project_id', 'line_item']);
    expect(first!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(second!.query.get('page')).toBe(PAGE_TOKEN);

    expect(totals(result.lines)).toEqual({
      [`2026-07-01|${P1}`]: '14.9982688',
      [`2026-07-01|${P2}`]: '5.48354335',
      [`2026-07-02|${P1}`]: '15.5027192',
      [`2026-07-02|${P2}`]: '3.48350955',
      // page 2 repeats 2026-07-01 in the older field set
      [`2026-07-03|${P1}`]: '14.9982688',
      [`2026-07-03|${P2}`]: '5.48354335',
    });
    expect(result.lines).toHaveLength(27);
    expect(result.warnings).toEqual([]);
    expect(result.lines[0]).toEqual({
      day: '2026-07-01',
      provider: 'openai',
      model: 'gpt-4.1-2025-04-14',
      lineItem: 'gpt-4.1-2025-04-14, input',
      costType: 'tokens',
      tokenType: 'input_tokens',
      project: P1,
      amount: '6.209044',
      currency: 'USD',
      quantity: '3104522',
      unit: 'tokens',
      dimensions: {},
      raw: expect.objectContaining({ line_item: 'gpt-4.1-2025-04-14, input' }),
    });
    const webSearch = result.lines.find((line) => line.costType === 'web_search')!;
    expect(webSearch).toMatchObject({
      model: null,
      tokenType: null,
      amount: '2.14',
      quantity: '214',
      unit: null,
    });
    const oldShape = result.lines.filter((line) => line.day === '2026-07-03');
    expect(oldShape.every((line) => line.quantity === null && line.unit === null)).toBe(true);
    expect(oldShape.map((line) => line.tokenType)).toEqual(
      result.lines.filter((line) => line.day === '2026-07-01').map((line) => line.tokenType),
    );
  });

  it('should read completions usage across pages, deriving uncached input from the older field set', async () => {
    const server = await suite.start(twoPages(USAGE_TEXT, openaiUsagePage2()));
    const result = await createOpenAIBillingAdapter(settings()).doFetchUsage!(RANGE);

    expect(server.requests[0]!.path).toBe('/v1/organization/usage/completions');
    expect(server.requests[0]!.query.getAll('group_by[]')).toEqual(['project_id', 'model']);
    expect(result.lines).toHaveLength(9);
    expect(result.lines[0]).toMatchObject({
      day: '2026-07-01',
      model: 'gpt-4.1-2025-04-14',
      project: P1,
      requests: 1842,
      usage: { input_tokens: 3104522, cache_read_tokens: 1227904, output_tokens: 412877 },
    });
    const day1 = result.lines.filter((line) => line.day === '2026-07-01').map((line) => line.usage);
    const day3 = result.lines.filter((line) => line.day === '2026-07-03').map((line) => line.usage);
    expect(day3).toEqual(day1);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ['without the version prefix', ''],
    ['with it', '/v1'],
    ['with it and a trailing slash', '/v1/'],
  ])('should accept a baseUrl %s', async (_label, suffix) => {
    const server = await suite.start(() =>
      json({ object: 'page', data: [], has_more: false, next_page: null }),
    );
    await createOpenAIBillingAdapter(settings({ baseUrl: `${server.url}${suffix}` })).doFetchCosts!(
      RANGE,
    );
    expect(server.requests[0]!.path).toBe('/v1/organization/costs');
  });

  it('should wait as retry-after says on a 429, then succeed', async () => {
    const server = await suite.start((_request, index) =>
      index === 0
        ? json({ error: { message: 'Rate limit reached', type: 'rate_limit_exceeded' } }, 429, {
            'retry-after': '2',
          })
        : { body: COSTS_TEXT.replace('"has_more": true', '"has_more": false') },
    );
    const result = await createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(result.lines).toHaveLength(18);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({
      provider: 'openai',
      status: 429,
      attempt: 1,
      delayMs: 2000,
    });
    expect(JSON.stringify(warnings)).not.toContain(API_KEY);
  });

  it('should honour a retry-after given as an HTTP date', async () => {
    const now = Date.parse('2026-07-05T10:00:00Z');
    await suite.start((_request, index) =>
      index === 0
        ? json({}, 429, { 'retry-after': 'Sun, 05 Jul 2026 10:00:03 GMT' })
        : json({ object: 'page', data: [], has_more: false, next_page: null }),
    );
    await createOpenAIBillingAdapter(settings({ now: () => now })).doFetchCosts!(RANGE);
    expect(sleeps).toEqual([3000]);
  });

  it('should back off with jitter on a 500, then succeed', async () => {
    const server = await suite.start((_request, index) =>
      index < 2
        ? json({ error: { message: 'boom' } }, index === 0 ? 500 : 503)
        : json({ object: 'page', data: [], has_more: false }),
    );
    const result = await createOpenAIBillingAdapter(
      settings({ backoffBaseMs: 1000, random: () => 1 }),
    ).doFetchCosts!(RANGE);
    expect(result.lines).toEqual([]);
    expect(server.requests).toHaveLength(3);
    // exponential: attempt 1 ceiling 1000 ms, attempt 2 ceiling 2000 ms; jitter in the upper half
    expect(sleeps).toEqual([1000, 2000]);
  });

  it('should give up after maxAttempts with a retryable error naming the provider and the status', async () => {
    const server = await suite.start(() => json({}, 502));
    const error = await createOpenAIBillingAdapter(settings({ maxAttempts: 3 })).doFetchCosts!(
      RANGE,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BillingHttpError);
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      provider: 'openai',
      status: 502,
      attempts: 3,
      isRetryable: true,
    });
    expect((error as Error).message).toBe(
      'OpenAI billing API unavailable: HTTP 502 on GET /v1/organization/costs after 3 attempts',
    );
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('should fail at once when retry-after asks for longer than maxDelayMs', async () => {
    const server = await suite.start(() => json({}, 429, { 'retry-after': '3600' }));
    const error = await createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      status: 429,
      details: expect.objectContaining({ retryAfterMs: 3_600_000 }),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('should refuse a 401 at once, naming the provider and the status, never the key', async () => {
    const server = await suite.start(() =>
      json(
        {
          error: {
            message: `Incorrect API key provided: ${API_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
        401,
      ),
    );
    const error = await createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BillingHttpError);
    expect(AdapterError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'BILLING_AUTH_FAILED',
      provider: 'openai',
      status: 401,
      isRetryable: false,
    });
    expect((error as Error).message).toMatch(
      /^OpenAI billing API refused the API key: HTTP 401 \(invalid_api_key\) on GET \/v1\/organization\/costs/,
    );
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const everything = [
      (error as Error).message,
      (error as Error).stack,
      JSON.stringify((error as BillingHttpError).details),
      String((error as Error).cause),
      JSON.stringify(warnings),
    ].join('\n');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain('SECRET');
  });

  it('should time out a request that never answers, retry it, then fail', async () => {
    const server = await suite.start(() => ({ hang: true }));
    const started = Date.now();
    const error = await createOpenAIBillingAdapter(settings({ timeoutMs: 150, maxAttempts: 2 }))
      .doFetchCosts!(RANGE).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      provider: 'openai',
      status: undefined,
      attempts: 2,
    });
    expect((error as Error).message).toBe(
      'OpenAI billing API unavailable: no answer within 150 ms on GET /v1/organization/costs after 2 attempts',
    );
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should fail on a network error without the key in the cause', async () => {
    const server = await suite.start(() => json({}));
    const url = server.url;
    await suite.stop();
    const error = await createOpenAIBillingAdapter({
      apiKey: API_KEY,
      baseUrl: url,
      maxAttempts: 2,
      sleep: async () => {},
    }).doFetchCosts!(RANGE).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', attempts: 2 });
    expect((error as Error).message).toContain('network failure');
    expect(String((error as Error).cause)).not.toContain(API_KEY);
  });

  it('should not follow a redirect (it would carry the key elsewhere)', async () => {
    const server = await suite.start(() => ({
      status: 307,
      headers: { location: 'http://example.invalid/steal' },
    }));
    await expect(createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE)).rejects.toMatchObject(
      {
        code: 'BILLING_REQUEST_REJECTED',
        status: 307,
        message: expect.stringContaining('a redirect: set baseUrl to where it points'),
      },
    );
    expect(server.requests).toHaveLength(1);
  });

  it('should read only the start of a large error body', async () => {
    const huge = `{"error":{"code":"server_error"}}${' '.repeat(8 * 1024 * 1024)}`;
    await suite.start(() => ({ status: 500, body: huge }));
    await expect(
      createOpenAIBillingAdapter(settings({ maxAttempts: 1 })).doFetchCosts!(RANGE),
    ).rejects.toMatchObject({
      message:
        'OpenAI billing API unavailable: HTTP 500 (server_error) on GET /v1/organization/costs after 1 attempt',
    });
  });

  it('should fail instead of looping when next_page repeats', async () => {
    await suite.start(() =>
      json({ object: 'page', data: [], has_more: true, next_page: 'page_same' }),
    );
    await expect(createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE)).rejects.toThrow(
      'openai /organization/costs page 2: next_page repeats an earlier page token',
    );
  });

  it('should fail instead of answering part of the range when has_more has no next_page', async () => {
    await suite.start(() => ({
      body: COSTS_TEXT.replace(/"next_page": "[^"]*"/, '"next_page": null'),
    }));
    await expect(createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE)).rejects.toMatchObject(
      {
        code: 'INVALID_BILLING_RESPONSE',
        message:
          'openai /organization/costs page 1: has_more is true but next_page is missing; the rest of the range cannot be read',
      },
    );
  });

  it('should reject a 400 without retrying and a missing key before any request', async () => {
    const server = await suite.start(() => json({ error: { code: 'invalid_parameter' } }, 400));
    await expect(createOpenAIBillingAdapter(settings()).doFetchCosts!(RANGE)).rejects.toMatchObject(
      {
        code: 'BILLING_REQUEST_REJECTED',
        status: 400,
      },
    );
    expect(server.requests).toHaveLength(1);
    await expect(
      createOpenAIBillingAdapter(settings({ apiKey: '' })).doFetchCosts!(RANGE),
    ).rejects.toMatchObject({
      code: 'INVALID_BILLING_SETTINGS',
    });
    await expect(
      createOpenAIBillingAdapter(settings()).doFetchCosts!({ from: RANGE.to, to: RANGE.from }),
    ).rejects.toMatchObject({ code: 'INVALID_BILLING_SETTINGS' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('convertOpenAICostsBucket', () => {
  it('should keep an amount exactly as written, never through a float', () => {
    const warnings = new WarningList();
    const [line] = convertOpenAICostsBucket(
      {
        start_time: '1782864000',
        results: [
          {
            amount: { value: '0.1000000000000000055511151231257827', currency: 'usd' },
            line_item: 'gpt-4o, output',
          },
        ],
      },
      'test',
      warnings,
    );
    expect(line!.amount).toBe('0.1000000000000000055511151231257827');
  });

  it('should warn, not fail, on an unknown line item, a missing currency and a missing amount', () => {
    const warnings = new WarningList();
    const lines = convertOpenAICostsBucket(
      {
        start_time: '1782864000',
        results: [
          { amount: { value: '1.5' }, line_item: 'fine-tuning training hours' },
          { amount: null, line_item: 'gpt-4o, input' },
        ],
      },
      'b',
      warnings,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      amount: '1.5',
      currency: 'USD',
      costType: 'other',
      model: null,
    });
    expect(warnings.toArray()).toEqual([
      'b.results[0]: currency null is not ISO 4217; USD assumed',
      'b.results[0]: line item "fine-tuning training hours" not recognized; kept as an unmatched charge',
      'b.results[1]: no amount.value; line skipped',
    ]);
  });

  it('should throw INVALID_BILLING_RESPONSE naming the field on an unreadable amount', () => {
    expect(() =>
      convertOpenAICostsBucket(
        { start_time: '1782864000', results: [{ amount: { value: 'abc' } }] },
        'b',
        new WarningList(),
      ),
    ).toThrow('b.results[0]: amount.value: must be a decimal number');
  });
});

describe('parseOpenAILineItem', () => {
  it.each([
    [
      'gpt-4.1-2025-04-14, input',
      { model: 'gpt-4.1-2025-04-14', tokenType: 'input_tokens', costType: 'tokens' },
    ],
    [
      'gpt-4.1-2025-04-14, cached input',
      { model: 'gpt-4.1-2025-04-14', tokenType: 'cache_read_tokens' },
    ],
    [
      'gpt-4.1-2025-04-14, output',
      { tokenType: 'output_tokens', serviceTier: null, qualifier: null },
    ],
    [
      'priority | gpt-5-2025-08-07, output, long context',
      {
        model: 'gpt-5-2025-08-07',
        tokenType: 'output_tokens',
        serviceTier: 'priority',
        qualifier: 'long context',
      },
    ],
    ['web search tool calls', { model: null, costType: 'web_search', recognized: true }],
    [
      'whisper-1, audio',
      { model: 'whisper-1', tokenType: null, costType: 'other', recognized: false },
    ],
    ['something new', { model: null, costType: 'other', recognized: false }],
  ])('should read %j', (text, expected) => {
    expect(parseOpenAILineItem(text)).toMatchObject(expected);
  });
});
