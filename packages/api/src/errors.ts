/** Stable error codes; GraphQL puts them in `extensions.code`, REST maps them to a status. */
export const ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPRICED: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What an UNAVAILABLE error tells a client to wait before retrying, unless it says otherwise. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The one base error of the service: a stable code, a safe message, an optional cause. */
export class PurserError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly isRetryable: boolean;
  /**
   * Seconds the client should wait before asking again (HTTP `Retry-After`); every
   * UNAVAILABLE error has one.
   */
  readonly retryAfterSeconds?: number;

  constructor({
    code,
    message,
    details,
    cause,
    isRetryable = false,
    retryAfterSeconds,
  }: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    cause?: unknown;
    isRetryable?: boolean;
    retryAfterSeconds?: number;
  }) {
    super(message, { cause });
    this.name = 'PurserError';
    this.code = code;
    this.details = details;
    this.isRetryable = isRetryable;
    this.retryAfterSeconds =
      retryAfterSeconds ?? (code === 'UNAVAILABLE' ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined);
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }

  /**
   * What graphql-js copies onto a GraphQLError wrapping this one. An error that asks the
   * client to come back later carries Apollo's `http` extension, so a GraphQL answer gets the
   * same status and `Retry-After` as REST (Apollo removes the extension from the body).
   */
  get extensions(): Record<string, unknown> {
    return {
      code: this.code,
      ...(this.details ?? {}),
      ...(this.retryAfterSeconds !== undefined
        ? {
            http: {
              status: this.httpStatus,
              headers: new Map([['retry-after', String(this.retryAfterSeconds)]]),
            },
          }
        : {}),
    };
  }
}

export const unauthenticated = (
  message = 'A valid API key is required: Authorization: Bearer <key>',
) => new PurserError({ code: 'UNAUTHENTICATED', message });

export const forbidden = (role: string, allowed: readonly string[]) =>
  new PurserError({
    code: 'FORBIDDEN',
    message: `Role "${role}" may not do this; allowed roles: ${allowed.join(', ')}`,
  });

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new PurserError({ code: 'BAD_USER_INPUT', message, details });

export const payloadTooLarge = (message: string, details?: Record<string, unknown>) =>
  new PurserError({ code: 'PAYLOAD_TOO_LARGE', message, details });

export const notFound = (what: string, id: string) =>
  new PurserError({ code: 'NOT_FOUND', message: `${what} "${id}" was not found` });
