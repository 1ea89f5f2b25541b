import { randomBytes } from 'node:crypto';
import { adminQuery } from '../support/database';

/** A database a bench creates for itself and drops when it is done (unless kept). */
export interface BenchDatabase {
  /** The admin connection it was created on. */
  adminUrl: string;
  name: string;
  /** The connection string of the new database. */
  url: URL;
  drop(): Promise<void>;
}

/**
 * Creates `purser_bench_<random>` on the admin connection: BENCH_DATABASE_URL, else
 * DATABASE_URL, else the local server's `postgres` database.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `purser_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    adminUrl,
    name,
    url,
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
