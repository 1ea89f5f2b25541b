import fc from 'fast-check';
import { DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, retryDelayMs } from './backoff';

describe('webhook retry backoff', () => {
  it('should double from the base, capped, with jitter in the upper half', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(DEFAULT_RETRY, attempt, 1))).toEqual([
      30_000, 60_000, 120_000, 240_000,
    ]);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 0)).toBe(15_000);
    expect(retryDelayMs(DEFAULT_RETRY, 30, 1)).toBe(3_600_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1 }), (n, r) => {
        const nominal = Math.min(3_600_000, 30_000 * 2 ** (n - 1));
        const delay = retryDelayMs(DEFAULT_RETRY, n, r);
        expect(delay).toBeGreaterThanOrEqual(nominal / 2);
        expect(delay).toBeLessThanOrEqual(nominal);
      }),
    );
  });

  it("should honour a receiver's longer Retry-After up to the cap", () => {
    expect(retryDelayMs(DEFAULT_RETRY, 1, 1, 90_000)).toBe(90_000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 1, 1_000)).toBe(30_000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, 1, 10 * 3_600_000)).toBe(3_600_000);
    const now = new Date('2026-12-07T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('should retry timeouts of the receiver, throttling and server errors only', () => {
    expect([408, 425, 429, 500, 502, 503, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 400, 401, 403, 404, 410, 422].some(isRetryableStatus)).toBe(false);
  });
});
