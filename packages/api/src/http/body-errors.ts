/**
 * What Express's body parser (body-parser, raw-body, http-errors) throws for a body the client
 * got wrong: a 4xx error with `expose` and a `type`. Such a body is the client's mistake, not
 * the service's, so it is answered with its status and a code naming it — never a 500, never
 * logged as an error.
 */
interface BodyParserError {
  status: number;
  expose: true;
  type?: string;
  message: string;
  /** The limit, in bytes, for `entity.too.large` (of the inflated body when compressed). */
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  if (typeof error !== 'object' || error === null) return false;
  const { status, expose } = error as Partial<BodyParserError>;
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true;
}

/** The answer to a request body Express could not read; null for any other error. */
export function bodyErrorResponse(
  error: unknown,
): { status: number; body: { code: string; message: string } } | null {
  if (!isBodyParserError(error)) return null;
  switch (error.type) {
    case 'entity.too.large':
      return {
        status: 413,
        body: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `Request body is larger than the limit of ${error.limit} bytes`,
        },
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: `Request body: ${error.message}` },
      };
    case 'entity.parse.failed':
      return {
        status: 400,
        body: {
          code: 'BAD_USER_INPUT',
          message: `Request body is not valid JSON: ${error.message}`,
        },
      };
    default:
      // A body cut short, of another length than announced, or compressed wrongly.
      return {
        status: error.status,
        body: {
          code: error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT',
          message: `Request body could not be read: ${error.message}`,
        },
      };
  }
}
