/**
 * Stable machine-readable codes of {@link PricingError}. Callers branch on the code, never on
 * the message, so a code is never renamed once published.
 */
export type PricingErrorCode =
  /** A price card does not match {@link priceCardSchema}. */
  | 'INVALID_PRICE_CARD'
  /** Two cards of one (provider, model) are effective at the same instant, or share an id. */
  | 'CONFLICTING_PRICE_CARDS'
  /** Usage does not match the usage vocabulary. */
  | 'INVALID_USAGE'
  /** Two amounts in different currencies were combined. */
  | 'CURRENCY_MISMATCH';

/** Constructor parameters of {@link PricingError}. */
export interface PricingErrorOptions {
  /** Stable machine-readable code. */
  code: PricingErrorCode;
  /** Human-readable explanation that names the offending card or field. */
  message: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured details safe to log. */
  details?: Record<string, unknown>;
}

/**
 * The one base error of `@purser/pricing`. Pricing is pure computation, so nothing here is
 * ever retryable: the same input fails the same way.
 */
export class PricingError extends Error {
  readonly code: PricingErrorCode;
  readonly isRetryable = false;
  readonly details: Record<string, unknown>;

  constructor({ code, message, cause, details }: PricingErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PricingError';
    this.code = code;
    this.details = details ?? {};
  }

  /** Type guard that also works across duplicated module instances (checks the name). */
  static isInstance(value: unknown): value is PricingError {
    return value instanceof PricingError || isCodedError(value, 'PricingError');
  }
}

/**
 * Whether `value` is an `Error` named `name` with a string `code`: how a package's base error
 * recognises its own instances across duplicated module instances, where `instanceof` fails.
 */
export function isCodedError(value: unknown, name: string): boolean {
  return (
    value instanceof Error &&
    value.name === name &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
