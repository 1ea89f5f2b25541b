import {
  databaseUnavailable,
  isPoolExhausted,
  isRetryableConflict,
  isTransientDatabaseError,
} from './transient';

const coded = (code: string) => Object.assign(new Error(code), { code });

describe('database failures', () => {
  it.each(['40P01', '40001'])(
    'should see %s as a conflict to ask again, directly or wrapped',
    (code) => {
      expect(isRetryableConflict(coded(code))).toBe(true);
      expect(isRetryableConflict({ message: 'query failed', driverError: coded(code) })).toBe(true);
      expect(isRetryableConflict(new Error('x', { cause: coded(code) }))).toBe(true);
      expect(isTransientDatabaseError(coded(code))).toBe(true);
    },
  );

  it('should not see data errors or outages as conflicts', () => {
    expect(isRetryableConflict(coded('23503'))).toBe(false);
    expect(isRetryableConflict(coded('57P01'))).toBe(false);
    expect(isRetryableConflict(undefined)).toBe(false);
    expect(isTransientDatabaseError(coded('57P01'))).toBe(true);
    expect(isTransientDatabaseError(coded('23503'))).toBe(false);
  });
});

describe('isPoolExhausted', () => {
  it('should tell a wait for a free connection that ran out from an outage', () => {
    // pg-pool's words when connectionTimeoutMillis passes with every connection busy.
    const busy = new Error('timeout exceeded when trying to connect');
    expect(isPoolExhausted(busy)).toBe(true);
    expect(isPoolExhausted({ message: 'query failed', driverError: busy })).toBe(true);
    expect(isTransientDatabaseError(busy)).toBe(true);
    expect(isPoolExhausted(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isPoolExhausted(coded('ECONNREFUSED'))).toBe(false);
    expect(isPoolExhausted(undefined)).toBe(false);
  });

  it('should answer a database it cannot reach with one retryable 503 that keeps its cause', () => {
    const cause = coded('ECONNREFUSED');
    const error = databaseUnavailable(cause);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      httpStatus: 503,
      isRetryable: true,
      retryAfterSeconds: 5,
      message: 'The database is unavailable; retry later',
    });
    expect(error.cause).toBe(cause);
  });
});
