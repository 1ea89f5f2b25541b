import { AdapterError } from './errors';

describe('AdapterError', () => {
  it('should keep code, message, cause and details', () => {
    const cause = new SyntaxError('bad');
    const error = new AdapterError({
      code: 'INVALID_JSON',
      message: 'invalid JSON',
      cause,
      details: { position: 3 },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AdapterError');
    expect(error.code).toBe('INVALID_JSON');
    expect(error.message).toBe('invalid JSON');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ position: 3 });
  });

  it.each([
    ['UPSTREAM_UNAVAILABLE', true],
    ['INVALID_JSON', false],
    ['SCHEMA_VIOLATION', false],
    ['INVALID_USAGE_EVENT', false],
    ['UNKNOWN_USAGE_FORMAT', false],
  ] as const)('should decide retryability of %s once (%s)', (code, retryable) => {
    expect(new AdapterError({ code, message: 'x' }).isRetryable).toBe(retryable);
  });

  it('should let the caller override retryability', () => {
    const error = new AdapterError({ code: 'SCHEMA_VIOLATION', message: 'x', isRetryable: true });
    expect(error.isRetryable).toBe(true);
  });

  it('should recognise instances and reject look-alikes', () => {
    expect(AdapterError.isInstance(new AdapterError({ code: 'INVALID_JSON', message: 'x' }))).toBe(
      true,
    );
    expect(AdapterError.isInstance(new Error('x'))).toBe(false);
    expect(AdapterError.isInstance({ code: 'INVALID_JSON', name: 'AdapterError' })).toBe(false);
  });
});
