import type { Decision } from './types';

/**
 * Stable codes of {@link PurserClientError}; callers branch on the code, never on the message.
 * - `UNAVAILABLE`: Purser could not be reached or answered 429/5xx (timeout, connection
 *   refused, 503): retryable, and the case `failMode` decides.
 * - `DENIED`: Purser answered and refused the call ({@link PurserDeniedError}).
 * - `REJECTED`: Purser refused the request itself (400, 401, 403, 404…): a client bug or a
 *   configuration error, never retried and never failed open.
 * - `BAD_RESPONSE`: an answer that is not the documented shape (garbage, wrong types, too
 *   large).
 * - `DOWNGRADE_UNAVAILABLE`: the decision asks for another model and the caller gave no way
 *   to call it.
 * - `INVALID_ARGUMENT`: a bad option or argument given to the client.
 */
export type PurserClientErrorCode =
  | 'UNAVAILABLE'
  | 'DENIED'
  | 'REJECTED'
  | 'BAD_RESPONSE'
  | 'DOWNGRADE_UNAVAILABLE'
  | 'INVALID_ARGUMENT';

export interface PurserClientErrorOptions {
  code: PurserClientErrorCode;
  message: string;
  /** HTTP status of Purser's answer, when there was one. */
  status?: number;
  cause?: unknown;
}

/** The one error type the client throws for anything Purser did or did not answer. */
export class PurserClientError extends Error {
  readonly code: PurserClientErrorCode;
  readonly status: number | undefined;

  constructor(options: PurserClientErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PurserClientError';
    this.code = options.code;
    this.status = options.status;
  }

  /** Whether the same request may succeed later (Purser unreachable or overloaded). */
  get isRetryable(): boolean {
    return this.code === 'UNAVAILABLE';
  }
}

/** Purser refused the call: `reasons` say why (budget exceeded, model not allowed…). */
export class PurserDeniedError extends PurserClientError {
  readonly decision: Decision;
  readonly reasons: Decision['reasons'];

  constructor(decision: Decision) {
    const why = decision.reasons.map((reason) => `${reason.code}: ${reason.message}`).join('; ');
    super({ code: 'DENIED', message: `Purser denied the call (${why || 'no reason given'})` });
    this.name = 'PurserDeniedError';
    this.decision = decision;
    this.reasons = decision.reasons;
  }

  /** Seconds after which the same request may be allowed (rate limits), when Purser said. */
  get retryAfterSeconds(): number | undefined {
    return this.decision.retryAfterSeconds;
  }
}

/** Whether `error` is an abort (an AbortSignal fired, by the caller or a timeout). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** The error an aborted signal stands for: its reason, or an `AbortError`. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}
