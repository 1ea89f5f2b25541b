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
  const name = `purser_bench_${randomBytes(5).toString('hex')}`;
  const database = benchDatabase(name);
  await adminQuery(database.adminUrl, `CREATE DATABASE ${name}`);
  return database;
}

/** A bench database an earlier run kept (`--keep` printed its name). */
export function benchDatabase(name: string): BenchDatabase {
  if (!/^purser_bench_[0-9a-f]{10}$/.test(name)) {
    throw new Error(`not a bench database name: ${JSON.stringify(name)} (purser_bench_<10 hex>)`);
  }
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    adminUrl,
    name,
    url,
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
