import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';

export interface TestDatabase {
  /** Postgres URL of a fresh database, or undefined when the suite runs on embedded PGlite. */
  url?: string;
  /** PGlite location when `url` is undefined. */
  dataDir: string;
  drop(): Promise<void>;
}

/** True when the suite talks to a real Postgres server (CI sets DATABASE_URL). */
export const hasPostgres = Boolean(process.env.DATABASE_URL);

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A database of the suite's own: with DATABASE_URL, a new Postgres database named
 * `purser_t_<random>` (dropped afterwards) so parallel suites and runs never interfere;
 * without it, a throwaway in-memory PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return { dataDir: 'memory://', drop: async () => undefined };
  const name = `purser_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  return {
    url: withDatabase(adminUrl, name),
    dataDir: 'memory://',
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * The backends the service supports, each with how to make a database of its own: embedded
 * PGlite always, and Postgres when the suite has one (for `describe.each`).
 */
export const DATABASE_BACKENDS = [
  [
    'PGlite',
    async (): Promise<TestDatabase> => ({ dataDir: 'memory://', drop: async () => undefined }),
  ],
  ...(hasPostgres ? [['Postgres', createTestDatabase] as const] : []),
] as const;

/** Runs one statement (CREATE/DROP DATABASE…) on a short-lived connection. */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs one query against a test database URL with a short-lived connection. */
export async function queryDatabase<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
