/** A log sink for retries and skipped data. Never given an API key. */
export interface BillingLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Settings every billing adapter accepts. HTTP adapters use all of them; a file adapter
 * ignores the connection settings.
 */
export interface BillingAdapterSettings {
  /** The provider's admin API key. Sent only in the request header; never logged or thrown. */
  readonly apiKey?: string;
  /**
   * The API's base URL, with or without the version prefix (`https://api.openai.com` or
   * `https://api.openai.com/v1`); defaults to the provider's public API.
   */
  readonly baseUrl?: string;
  /** Timeout of each HTTP request in milliseconds (default 30,000). */
  readonly timeoutMs?: number;
  /** Most attempts per request, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Base delay of the exponential backoff in milliseconds (default 500). */
  readonly backoffBaseMs?: number;
  /** Longest wait between attempts, `retry-after` included, in milliseconds (default 60,000). */
  readonly maxDelayMs?: number;
  /** Largest response body read, in bytes (default 32 MiB). */
  readonly maxResponseBytes?: number;
  /** `fetch` to use (tests inject one); defaults to the global. */
  readonly fetch?: typeof globalThis.fetch;
  /** Waits `ms` (tests inject an instant one); must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Current time, for `retry-after` given as an HTTP date (default `Date.now`). */
  readonly now?: () => number;
  /** Uniform random number in [0, 1), for the backoff's jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Where retries are logged. */
  readonly logger?: BillingLogger;
}
