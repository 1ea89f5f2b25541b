import { PurserError } from '../errors';

/** The error and what it wraps (TypeORM's driverError, a cause): where a driver code may be. */
function candidates(error: unknown): unknown[] {
  return [
    error,
    (error as { driverError?: unknown })?.driverError,
    (error as { cause?: unknown })?.cause,
  ];
}

/**
 * A deadlock or serialization failure: Postgres rolled the transaction back and the same
 * statement can simply be asked again.
 */
export function isRetryableConflict(error: unknown): boolean {
  return candidates(error).some((candidate) => {
    const code = (candidate as { code?: unknown } | null | undefined)?.code;
    return code === '40P01' || code === '40001';
  });
}

/**
 * Whether a database failure is worth retrying (the server is down, restarting, or
 * overloaded) rather than a property of the data, which no retry can fix.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (const candidate of candidates(error)) {
    if (!candidate || typeof candidate !== 'object') continue;
    const code = String((candidate as { code?: unknown }).code ?? '');
    if (/^(08|57P|53|58)/.test(code) || code === '40001' || code === '40P01') return true;
    if (
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(
        code,
      )
    )
      return true;
    const message = String((candidate as { message?: unknown }).message ?? '');
    if (
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|the database system is (starting up|shutting down)|Connection ended/i.test(
        message,
      )
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Whether the failure is the pool's wait for a free connection running out: the database
 * answers, but every connection of this replica stayed busy (overload, not an outage).
 */
export function isPoolExhausted(error: unknown): boolean {
  return candidates(error).some((candidate) =>
    /timeout exceeded when trying to connect/i.test(
      String((candidate as { message?: unknown } | null | undefined)?.message ?? ''),
    ),
  );
}

/**
 * The one error for a database that cannot be reached, whichever path met it: UNAVAILABLE
 * (503 with `Retry-After`), retryable, the driver's failure kept as its cause.
 */
export function databaseUnavailable(cause: unknown): PurserError {
  return new PurserError({
    code: 'UNAVAILABLE',
    message: 'The database is unavailable; retry later',
    cause,
    isRetryable: true,
  });
}
