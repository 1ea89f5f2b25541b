import {
  BillingHttpClient,
  parseRetryAfter,
  redactSecret,
  resolveBillingBaseUrl,
} from './billing-http';
import { OPENAI_BILLING_PROVIDER } from './openai-billing-adapter';

describe('resolveBillingBaseUrl', () => {
  it.each([
    [undefined, 'https://api.openai.com/v1'],
    ['', 'https://api.openai.com/v1'],
    ['https://api.openai.com', 'https://api.openai.com/v1'],
    ['https://api.openai.com/', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1//', 'https://api.openai.com/v1'],
    ['http://127.0.0.1:8080/proxy/openai', 'http://127.0.0.1:8080/proxy/openai/v1'],
    ['http://127.0.0.1:8080/proxy/openai/v1', 'http://127.0.0.1:8080/proxy/openai/v1'],
  ])('should resolve %j to %s', (given, expected) => {
    expect(resolveBillingBaseUrl(given, OPENAI_BILLING_PROVIDER)).toBe(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-07-05T10:00:00Z');
  it.each([
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    [' 30 ', 30_000],
    ['Sun, 05 Jul 2026 10:00:10 GMT', 10_000],
    ['Sun, 05 Jul 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('should read %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('redactSecret', () => {
  it('should replace every occurrence of the secret and leave text without one alone', () => {
    expect(redactSecret('a sk-1234 b sk-1234', 'sk-1234')).toBe('a [redacted] b [redacted]');
    expect(redactSecret('nothing here', undefined)).toBe('nothing here');
  });
});

describe('BillingHttpClient.backoffMs', () => {
  it.each([
    [0, [250, 500, 1000, 2000, 2500]],
    [0.999999, [500, 1000, 2000, 4000, 5000]],
  ])(
    'should grow exponentially, capped at maxDelayMs, jitter %d in the upper half',
    (random, expected) => {
      const client = new BillingHttpClient(OPENAI_BILLING_PROVIDER, {
        apiKey: 'k',
        backoffBaseMs: 500,
        maxDelayMs: 5000,
        random: () => random,
      });
      expect([1, 2, 3, 4, 5].map((attempt) => client.backoffMs(attempt))).toEqual(expected);
    },
  );
});
