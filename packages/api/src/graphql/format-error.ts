import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { PurserError } from '../errors';
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
