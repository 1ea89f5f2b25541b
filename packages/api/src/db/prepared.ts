import type { DataSource } from 'typeorm';

/** A statement the hot path runs many times a second. */
export interface PreparedStatement {
  /** Unique per statement text: Postgres keeps one prepared statement per name and connection. */
  name: string;
  text: string;
}

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

interface PgPool {
  connect(): Promise<PgClient>;
}

const pools = new WeakMap<DataSource, PgPool | null>();

/** The `pg` pool under TypeORM's Postgres driver; null for the embedded database. */
function poolOf(dataSource: DataSource): PgPool | null {
  let pool = pools.get(dataSource);
  if (pool === undefined) {
    // TypeORM's Postgres driver keeps its pg pool as `master`; the embedded driver has no URL.
    const url = (dataSource.options as { url?: string } | undefined)?.url;
    const master = (dataSource.driver as { master?: PgPool } | undefined)?.master;
    pool = url && typeof master?.connect === 'function' ? master : null;
    pools.set(dataSource, pool);
  }
  return pool;
}

/**
 * Runs `statement` as a named prepared statement on Postgres: each connection parses and
 * plans it once instead of on every call, and the query skips TypeORM's per-query work.
 * The embedded database runs it as a plain query. Answers the rows; errors are the driver's
 * own (with their SQLSTATE `code`), as TypeORM's `driverError` carries them.
 */
export async function queryPrepared<T>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: unknown[],
): Promise<T[]> {
  const pool = poolOf(dataSource);
  if (!pool) return (await dataSource.query(statement.text, values)) as T[];
  const client = await pool.connect();
  let broken: Error | undefined;
  // The pool listens for errors of idle connections only: one lost while checked out would
  // otherwise be an unhandled 'error' event. The query itself then rejects.
  const lost = (error: Error) => (broken = error);
  client.on('error', lost);
  try {
    return (await client.query({ name: statement.name, text: statement.text, values })).rows as T[];
  } catch (error) {
    if (!usableAfter(error)) broken = error as Error;
    throw error;
  } finally {
    client.off('error', lost);
    // A connection is only dropped when it broke (pg's pool.query would drop it on any error,
    // so a statement refused for its data would cost a reconnect).
    client.release(broken);
  }
}

/** Whether the connection survives the error: the server reported it, and not as FATAL. */
function usableAfter(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  return typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC';
}
