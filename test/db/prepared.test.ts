// What unit tests cannot catch: on a real Postgres the hot statements are named prepared
// statements of each connection (parsed and planned once), with the same rows and errors
// as a plain query; the embedded database runs them as plain queries.
import { createDataSource, queryPrepared } from '@purser/api';
import { DATABASE_BACKENDS, queryDatabase } from '../support/database';

const STATEMENT = { name: 'purser_test_echo', text: 'SELECT $1::int + 1 AS n, $2::text[] AS list' };

describe.each(DATABASE_BACKENDS)('queryPrepared on %s', (name, makeDatabase) => {
  it('should answer the rows of the statement, like a plain query', async () => {
    const database = await makeDatabase();
    // One connection, so the second call meets the statement the first one prepared.
    const dataSource = createDataSource({
      url: database.url,
      dataDir: database.dataDir,
      poolSize: 1,
    });
    await dataSource.initialize();
    try {
      for (const value of [1, 41]) {
        expect(await queryPrepared(dataSource, STATEMENT, [value, ['a', 'b,c']])).toEqual([
          { n: value + 1, list: ['a', 'b,c'] },
        ]);
      }
      const error = await queryPrepared(dataSource, STATEMENT, ['x', []]).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: '22P02' });
      if (name === 'Postgres') {
        const prepared = await queryPrepared<{ name: string }>(
          dataSource,
          {
            name: 'purser_test_list',
            text: 'SELECT name FROM pg_prepared_statements ORDER BY name',
          },
          [],
        );
        // A refused statement keeps the connection: both statements are still prepared on it.
        expect(prepared.map((row) => row.name)).toEqual(['purser_test_echo', 'purser_test_list']);

        // A connection the server ends is dropped, and the next call runs on a new one.
        const pid = { name: 'purser_test_pid', text: 'SELECT pg_backend_pid() AS pid' };
        const [before] = await queryPrepared<{ pid: number }>(dataSource, pid, []);
        await queryDatabase(database.url!, 'SELECT pg_terminate_backend($1)', [before!.pid]);
        await queryPrepared(dataSource, pid, []).catch(() => undefined);
        const [after] = await queryPrepared<{ pid: number }>(dataSource, pid, []);
        expect(after!.pid).not.toBe(before!.pid);
      }
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
