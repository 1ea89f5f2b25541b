/** Stable error codes; GraphQL puts them in `extensions.code`, REST maps them to a status. */
export const ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPRICED: 422,
  UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one base error of the service: a stable code, a safe message, an optional cause. */
export class PurserError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly isRetryable: boolean;

  constructor({
    code,
    message,
    details,
    cause,
    isRetryable = false,
  }: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    cause?: unknown;
    isRetryable?: boolean;
  }) {
    super(message, { cause });
    this.name = 'PurserError';
    this.code = code;
    this.details = details;
    this.isRetryable = isRetryable;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
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

export const notFound = (what: string, id: string) =>
  new PurserError({ code: 'NOT_FOUND', message: `${what} "${id}" was not found` });
