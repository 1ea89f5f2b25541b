import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { centsToAmount, createAnthropicBillingAdapter } from './anthropic-billing-adapter';
import { BillingHttpError } from './billing-http-error';
import { json, replaySuite, twoPages as twoPagesOf } from './__fixtures__/replay-server';
import { anthropicCostPage2, anthropicUsagePage2 } from './__fixtures__/second-pages';
import { dayProjectTotals as totals } from './__fixtures__/totals';

const COST_TEXT = readFileSync(join(__dirname, '__fixtures__/anthropic-cost-report.json'), 'utf8');
const USAGE_TEXT = readFileSync(
  join(__dirname, '__fixtures__/anthropic-usage-report.json'),
  'utf8',
);
const API_KEY = 'sk-ant-admin01-SECRET-abcdef0123456789';
const PAGE_TOKEN = 'page_MjAyNi0wNy0wM1QwMDowMDowMFo=';
const RANGE = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-04T00:00:00Z') };
const WS = 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ';

const twoPages = (page1: string, page2: unknown) =>
  twoPagesOf(page1, page2, PAGE_TOKEN, { type: 'error', error: { type: 'invalid_request_error' } });

describe('createAnthropicBillingAdapter (against a local replay server)', () => {
  const suite = replaySuite({ apiKey: API_KEY, random: 0 });
  const { sleeps, settings } = suite;

  it('should follow next_page and give the README per-day totals, cents as dollars exactly', async () => {
    const server = await suite.start(twoPages(COST_TEXT, anthropicCostPage2()));
    const result = await createAnthropicBillingAdapter(settings({ baseUrl: `${server.url}/v1` }))
      .doFetchCosts!(RANGE);

    const [first, second] = server.requests;
    expect(first!.path).toBe('/v1/organizations/cost_report');
    expect(first!.query.get('starting_at')).toBe('2026-07-01T00:00:00Z');
    expect(first!.query.get('ending_at')).toBe('2026-07-04T00:00:00Z');
    expect(first!.query.get('bucket_width')).toBe('1d');
    expect(first!.query.getAll('group_by[]')).toEqual(['workspace_id', 'description']);
    expect(first!.headers['x-api-key']).toBe(API_KEY);
    expect(first!.headers['anthropic-version']).toBe('2023-06-01');
    expect(first!.headers.authorization).toBeUndefined();
    expect(second!.query.get('page')).toBe(PAGE_TOKEN);
    expect(result.pages).toBe(2);

    expect(totals(result.lines)).toEqual({
      [`2026-07-01|${WS}`]: '26.9119953',
      '2026-07-01|null': '2.134911',
      [`2026-07-02|${WS}`]: '27.9752178',
      '2026-07-02|null': '1.937025',
      [`2026-07-03|${WS}`]: '26.9119953',
      '2026-07-03|null': '2.134911',
    });
    expect(result.warnings).toEqual([]);
    expect(result.lines[0]).toEqual({
      day: '2026-07-01',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5-20250929',
      lineItem: 'Claude Sonnet 4.5 Usage - Input Tokens',
      costType: 'tokens',
      tokenType: 'input_tokens',
      project: WS,
      amount: '5.53566',
      currency: 'USD',
      quantity: null,
      unit: null,
      dimensions: { service_tier: 'standard', context_window: '0-200k' },
      raw: expect.objectContaining({ amount: '553.566' }),
    });
    const tokenTypes = result.lines.filter(
      (line) =>
        line.day === '2026-07-01' &&
        line.model === 'claude-sonnet-4-5-20250929' &&
        line.project === WS,
    );
    expect(tokenTypes.map((line) => line.tokenType)).toEqual([
      'input_tokens',
      'output_tokens',
      'cache_read_tokens',
      'cache_write_tokens',
      'cache_write_1h_tokens',
    ]);
    const webSearch = result.lines.filter((line) => line.costType === 'web_search');
    expect(webSearch.map((line) => [line.day, line.amount, line.model])).toEqual([
      ['2026-07-01', '0.37', null],
      ['2026-07-02', '0.42', null],
      ['2026-07-03', '0.37', null],
    ]);
  });

  it('should read the usage report into canonical usage (disjoint input counters, 1h writes apart)', async () => {
    const server = await suite.start(twoPages(USAGE_TEXT, anthropicUsagePage2()));
    const result = await createAnthropicBillingAdapter(settings()).doFetchUsage!(RANGE);
    expect(server.requests[0]!.path).toBe('/v1/organizations/usage_report/messages');
    expect(server.requests[0]!.query.getAll('group_by[]')).toEqual(['workspace_id', 'model']);
    expect(result.lines).toHaveLength(9);
    expect(result.lines[0]).toMatchObject({
      day: '2026-07-01',
      model: 'claude-sonnet-4-5-20250929',
      project: WS,
      usage: {
        input_tokens: 1845220,
        cache_read_tokens: 9612480,
        cache_write_tokens: 412330,
        cache_write_1h_tokens: 98200,
        output_tokens: 388410,
        units: { web_search_requests: 37 },
      },
    });
    expect(result.lines[2]).toMatchObject({
      project: null,
      usage: { input_tokens: 402117, output_tokens: 61904 },
    });
  });

  it('should wait as retry-after says on a 429 and back off on a 500, then succeed', async () => {
    const server = await suite.start((_request, index) =>
      index === 0
        ? json({ type: 'error', error: { type: 'rate_limit_error' } }, 429, { 'retry-after': '7' })
        : index === 1
          ? json({ type: 'error', error: { type: 'api_error' } }, 500)
          : json({ data: [], has_more: false, next_page: null }),
    );
    await createAnthropicBillingAdapter(settings({ backoffBaseMs: 400 })).doFetchCosts!(RANGE);
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([7000, 400]); // retry-after; then attempt 2's ceiling 800 ms, jitter 0 → half
  });

  it.each([401, 403])(
    'should refuse a %i naming Anthropic and the status, never the key',
    async (status) => {
      const server = await suite.start(() =>
        json(
          {
            type: 'error',
            error: { type: 'authentication_error', message: `invalid x-api-key ${API_KEY}` },
          },
          status,
        ),
      );
      const error = await createAnthropicBillingAdapter(settings()).doFetchCosts!(RANGE).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BillingHttpError);
      expect(error).toMatchObject({
        code: 'BILLING_AUTH_FAILED',
        provider: 'anthropic',
        status,
        isRetryable: false,
      });
      expect((error as Error).message).toContain(
        `Anthropic billing API refused the API key: HTTP ${status} (authentication_error)`,
      );
      expect(server.requests).toHaveLength(1);
      const everything = [
        (error as Error).message,
        (error as Error).stack,
        JSON.stringify((error as BillingHttpError).details),
        String((error as Error).cause),
      ].join('\n');
      expect(everything).not.toContain('SECRET');
    },
  );

  it('should time out a request that never answers', async () => {
    await suite.start(() => ({ hang: true }));
    await expect(
      createAnthropicBillingAdapter(settings({ timeoutMs: 100, maxAttempts: 1 })).doFetchUsage!(
        RANGE,
      ),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      provider: 'anthropic',
      message:
        'Anthropic billing API unavailable: no answer within 100 ms on GET /v1/organizations/usage_report/messages after 1 attempt',
    });
  });

  it('should stop when the caller aborts, without further attempts', async () => {
    const server = await suite.start(() => ({ hang: true }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      createAnthropicBillingAdapter(settings({ timeoutMs: 10_000 })).doFetchCosts!({
        ...RANGE,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      isRetryable: false,
      message: expect.stringContaining('cancelled'),
    });
    expect(server.requests).toHaveLength(1);
  });
});

describe('centsToAmount', () => {
  it.each([
    ['553.566', '5.53566'],
    ['37', '0.37'],
    ['123.78912', '1.2378912'],
    ['0', '0'],
    ['0.001', '0.00001'],
    ['99999999999999999999.99', '999999999999999999.9999'],
  ])('should turn %s cents into %s dollars exactly', (cents, dollars) => {
    expect(centsToAmount(cents)).toBe(dollars);
  });
});
