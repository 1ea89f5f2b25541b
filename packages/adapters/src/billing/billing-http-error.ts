import { AdapterError, type AdapterErrorCode } from '../errors';

/** Constructor parameters of {@link BillingHttpError}. */
export interface BillingHttpErrorOptions {
  code: AdapterErrorCode;
  /** Registry id of the provider (`openai`, `anthropic`). */
  provider: string;
  /** HTTP status of the last answer, if there was one. */
  status?: number;
  message: string;
  /** Already stripped of any secret. */
  cause?: unknown;
  /** Number of attempts made. */
  attempts: number;
  isRetryable?: boolean;
  /** Safe to log: never the API key. */
  details?: Record<string, unknown>;
}

/**
 * A provider billing API failed: refused credentials (`BILLING_AUTH_FAILED`, 401/403), any
 * other refusal (`BILLING_REQUEST_REJECTED`), or still failing after the retries
 * (`UPSTREAM_UNAVAILABLE`: 429, 5xx, timeouts, network). The message names the provider and
 * the status; nothing in it, its `details` or its `cause` holds the API key.
 */
export class BillingHttpError extends AdapterError {
  /** Registry id of the provider. */
  readonly provider: string;
  /** HTTP status of the last answer; undefined for a timeout or a network failure. */
  readonly status: number | undefined;
  /** Attempts made before giving up. */
  readonly attempts: number;

  constructor(options: BillingHttpErrorOptions) {
    super({
      code: options.code,
      message: options.message,
      cause: options.cause,
      isRetryable: options.isRetryable,
      details: {
        ...options.details,
        provider: options.provider,
        status: options.status ?? null,
        attempts: options.attempts,
      },
    });
    this.provider = options.provider;
    this.status = options.status;
    this.attempts = options.attempts;
  }
}
