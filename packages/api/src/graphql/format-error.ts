import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { PurserError, badInput } from '../errors';
import type { Logger } from '../observability/logger';

// graphql-js's suggestions ("… Did you mean "apiKeys"?"), in validation and variable coercion.
const SUGGESTION = / ?Did you mean .+\?$/s;
// What graphql-js answers when a document costs too much to validate (its own work budget).
const VALIDATION_ABORTED = 'Validation aborted.';

/**
 * The one place where errors become client answers: domain errors keep their stable code
 * and message; anything unexpected is logged and, in production, answered without detail.
 * In production no message suggests names from the schema: introspection is off there.
 */
export function createFormatError(logger: Logger, production: boolean) {
  const clientMessage = (message: string) => {
    if (message === VALIDATION_ABORTED)
      return 'Validation aborted: the document costs too much to validate (too many fields of one name, aliases or fragments to compare)';
    return production ? message.replace(SUGGESTION, '') : message;
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof PurserError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...(original.details ?? {}) },
      };
    }
    const refused = dataException(original);
    if (refused) {
      // The client's value is what was wrong; that no validation caught it first is ours.
      logger.warn({ err: original, path: formatted.path }, 'the database refused a request value');
      return {
        message: refused.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: refused.code },
      };
    }
    // Apollo re-wraps validation errors as GRAPHQL_VALIDATION_FAILED; keep our own rule's code.
    const inner = original instanceof GraphQLError ? original.originalError : undefined;
    const innerCode = inner instanceof GraphQLError ? inner.extensions?.code : undefined;
    if (typeof innerCode === 'string') {
      return {
        message: clientMessage(formatted.message),
        locations: formatted.locations,
        extensions: { code: innerCode },
      };
    }
    const code = formatted.extensions?.code;
    if (isRequestError(original) && (code === undefined || code === 'INTERNAL_SERVER_ERROR')) {
      // An HTTP-level refusal raised without a code (Apollo's persisted-query hash check).
      return { message: clientMessage(formatted.message), extensions: { code: 'BAD_REQUEST' } };
    }
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      const message = clientMessage(formatted.message);
      return production ? { ...formatted, message, extensions } : { ...formatted, message };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected GraphQL error');
    if (production) {
      return {
        message: 'Internal server error',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    }
    return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** A GraphQLError raised to answer the request with a 4xx (Apollo's `http` extension). */
function isRequestError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * A database error of SQLSTATE class 22, "data exception" — a malformed UUID, a NUL in a
 * string, a negative LIMIT, a number out of range — is a value of the request the database
 * could not take: BAD_USER_INPUT naming it, never an internal error.
 */
function dataException(error: unknown): PurserError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return undefined;
  const detail =
    code === '22021' || code === '22P05'
      ? 'a string holds a character that cannot be stored (such as U+0000)'
      : (error as Error).message;
  return badInput(`A value of this request was refused by the database: ${detail}`);
}
