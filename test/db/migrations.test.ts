// What unit tests cannot catch: the versioned migrations must apply, revert and re-apply
// on both backends the service supports — embedded PGlite and a real Postgres 15.
import { createDataSource } from '@purser/api';
import { DATABASE_BACKENDS, hasPostgres } from '../support/database';

describe.each(DATABASE_BACKENDS)('migrations on %s', (_name, makeDatabase) => {
  it('should apply every migration, revert them all, and apply them again', async () => {
    const database = await makeDatabase();
    const dataSource = createDataSource({ url: database.url, dataDir: database.dataDir });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.length).toBe(dataSource.migrations.length);
      expect(await dataSource.showMigrations()).toBe(false);
      const tables = await dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((row: { table_name: string }) => row.table_name)).toEqual(
        expect.arrayContaining([
          'api_keys',
          'dead_letters',
          'price_cards',
          'pricing_catalog_state',
          'schema_migrations',
          'usage_events',
          'usage_hourly',
        ]),
      );
      for (let index = 0; index < applied.length; index += 1)
        await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await dataSource.showMigrations()).toBe(true);
      const again = await dataSource.runMigrations({ transaction: 'each' });
      expect(again.length).toBe(applied.length);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

if (!hasPostgres) {
  it.skip('migrations on Postgres (set DATABASE_URL to run against a real server)', () =>
    undefined);
}
