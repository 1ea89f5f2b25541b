import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { ApiKeyEntity } from './auth/api-key.entity';
import { migrations } from './db/migrations';
import { PriceCardEntity } from './pricing/price-card.entity';

/** Every TypeORM entity of the service, listed where the service is assembled. */
export const entities = [ApiKeyEntity, PriceCardEntity];

export interface DatabaseOptions {
  /** Postgres URL; undefined → embedded PGlite in `dataDir`. */
  url?: string;
  /** PGlite data directory, or `memory://` for a throwaway database. */
  dataDir: string;
  poolSize?: number;
}

/**
 * One DataSource for both backends: Postgres through `pg`, or PGlite (Postgres compiled to
 * wasm) through typeorm-pglite, so the same entities and migrations serve both.
 * `synchronize` is never on: the schema comes from the versioned migrations.
 */
export function createDataSource(options: DatabaseOptions): DataSource {
  const common = {
    type: 'postgres',
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
  } as const;
  if (options.url) {
    return new DataSource({
      ...common,
      url: options.url,
      poolSize: options.poolSize ?? 10,
      // Idle connections stay open: a pool that closes them after 10 s (pg's default) opens
      // new backends in the next burst, whose first queries plan and compile from scratch.
      extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 0 },
    } satisfies DataSourceOptions);
  }
  if (!options.dataDir.startsWith('memory://')) {
    fs.mkdirSync(path.resolve(options.dataDir), { recursive: true });
  }
  const dataDir = options.dataDir.startsWith('memory://')
    ? options.dataDir
    : path.resolve(options.dataDir, 'pgdata');
  return new DataSource({
    ...common,
    driver: new PGliteDriver({ dataDir }).driver,
  } as DataSourceOptions);
}

/** Connects and applies pending migrations, each in its own transaction. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}
