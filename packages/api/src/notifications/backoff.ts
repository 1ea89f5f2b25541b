/** How a failed delivery is retried (PURSER_WEBHOOK_* in config/env.ts, docs/notifications.md). */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The delay before the 2nd attempt, before jitter; doubled for each later one. */
  baseDelayMs: number;
  /** No delay is longer than this (Retry-After included). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
};

/**
 * The wait after failed attempt number `attempt` (1-based): exponential, `base × 2^(attempt−1)`
 * capped at `maxDelayMs`, with "equal jitter" — a random point in its upper half — so
 * receivers that came back are not hit by every replica at once. A receiver's `Retry-After`
 * (429, 503) is honoured when it asks for longer, up to the cap. `random` is in [0, 1).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: number,
  retryAfterMs?: number,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const share = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0;
  const jittered = Math.round(nominal / 2 + (nominal / 2) * share);
  const asked =
    retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0
      ? Math.min(retryAfterMs, policy.maxDelayMs)
      : 0;
  return Math.max(jittered, asked);
}

/** Whether an HTTP status is worth another attempt: 408, 425, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** A `Retry-After` header in milliseconds (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
