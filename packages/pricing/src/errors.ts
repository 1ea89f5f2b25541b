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

/** Constructor parameters of a {@link CodedError}. */
export interface CodedErrorOptions<Code extends string> {
  /** Stable machine-readable code. */
  code: Code;
  /** Human-readable explanation. */
  message: string;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured details safe to log. */
  details?: Record<string, unknown>;
}

/**
 * What the base errors of the pure packages (pricing, policy) share: a stable `code`, details
 * safe to log, and never retryable (the same input fails the same way). `name` is the
 * subclass's own, which {@link isCodedError} checks where `instanceof` cannot.
 */
export abstract class CodedError<Code extends string> extends Error {
  readonly code: Code;
  readonly isRetryable = false;
  readonly details: Record<string, unknown>;

  protected constructor(name: string, { code, message, cause, details }: CodedErrorOptions<Code>) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
    this.code = code;
    this.details = details ?? {};
  }
}

/** Constructor parameters of {@link PricingError}; the message names the offending card or field. */
export type PricingErrorOptions = CodedErrorOptions<PricingErrorCode>;

/** The one base error of `@purser/pricing` (pure computation: nothing is retryable). */
export class PricingError extends CodedError<PricingErrorCode> {
  constructor(options: PricingErrorOptions) {
    super('PricingError', options);
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
