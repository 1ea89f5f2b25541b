import { isCodedError } from '@purser/pricing';

/**
 * Stable machine-readable codes of {@link AdapterError}. Callers branch on the code, never on
 * the message, so a code is never renamed once published.
 */
export type AdapterErrorCode =
  /** The body is not valid JSON. */
  | 'INVALID_JSON'
  /** The JSON does not match the expected schema. */
  | 'SCHEMA_VIOLATION'
  /** A usage event failed validation (see `reason`). */
  | 'INVALID_USAGE_EVENT'
  /** A provider usage object could not be read by its converter. */
  | 'INVALID_PROVIDER_USAGE'
  /** No usage converter is registered under the requested format. */
  | 'UNKNOWN_USAGE_FORMAT'
  /** A CloudEvents envelope that we cannot accept (binary data, non-JSON content type…). */
  | 'UNSUPPORTED_CLOUD_EVENT'
  /** A transient failure of a dependency (timeouts, 429, 5xx). */
  | 'UPSTREAM_UNAVAILABLE'
  /** No billing adapter is registered under the requested provider id. */
  | 'UNKNOWN_BILLING_PROVIDER'
  /** A provider's billing API refused the credentials (HTTP 401/403). */
  | 'BILLING_AUTH_FAILED'
  /** A provider's billing API refused the request for another reason (another 4xx). */
  | 'BILLING_REQUEST_REJECTED'
  /** A provider's billing API answered something that cannot be read as its documented shape. */
  | 'INVALID_BILLING_RESPONSE'
  /** A billing export file (FOCUS CSV) that cannot be read. */
  | 'INVALID_BILLING_FILE'
  /** Settings a billing adapter cannot work with (a malformed base URL). */
  | 'INVALID_BILLING_SETTINGS';

/** Codes whose failures may succeed when retried unchanged; everything else is permanent. */
const RETRYABLE_CODES: ReadonlySet<AdapterErrorCode> = new Set(['UPSTREAM_UNAVAILABLE']);

/** Constructor parameters of {@link AdapterError}. */
export interface AdapterErrorOptions {
  /** Stable machine-readable code. */
  code: AdapterErrorCode;
  /** Human-readable explanation that names the offending field. */
  message: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured details safe to log or to store with a dead letter. */
  details?: Record<string, unknown>;
  /** Overrides the retryability derived from `code` (e.g. an HTTP 429 from a provider). */
  isRetryable?: boolean;
}

/**
 * The one base error of `@purser/adapters`. Retryability is decided once, here: a consumer
 * `nak`s a retryable failure and dead-letters everything else.
 */
export class AdapterError extends Error {
  readonly code: AdapterErrorCode;
  readonly isRetryable: boolean;
  readonly details: Record<string, unknown>;

  constructor({ code, message, cause, details, isRetryable }: AdapterErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AdapterError';
    this.code = code;
    this.details = details ?? {};
    this.isRetryable = isRetryable ?? RETRYABLE_CODES.has(code);
  }

  /** Type guard that also works across duplicated module instances (checks the brand). */
  static isInstance(value: unknown): value is AdapterError {
    return value instanceof AdapterError || isCodedError(value, 'AdapterError');
  }
}
