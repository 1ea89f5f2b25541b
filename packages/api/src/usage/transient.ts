/**
 * Whether a database failure is worth retrying (the server is down, restarting, or
 * overloaded) rather than a property of the data, which no retry can fix.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const candidates = [
    error,
    (error as { driverError?: unknown })?.driverError,
    (error as { cause?: unknown })?.cause,
  ];
  for (const candidate of candidates) {
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
