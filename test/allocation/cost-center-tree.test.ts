// What unit tests cannot catch: two parent changes committed at the same time must not
// close a cycle in the cost center tree (each checks the chain the other is changing).
import { Client } from 'pg';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../support/database';
import { startPurser, type RunningPurser } from '../support/purser';
import { createCenters } from './allocation-support';

const UPDATE = `mutation($code: String!, $input: CostCenterUpdateInput!) {
  updateCostCenter(code: $code, input: $input) { code parentCode }
}`;
const TREE = `query { costCenterTree { code children { code } } }`;

describe('cost center tree under concurrent parent changes', () => {
  let service: RunningPurser;
  let database: TestDatabase;

  // Postgres only: PGlite runs one transaction at a time, so the race cannot happen there.
  beforeAll(async () => {
    database = await createTestDatabase();
    service = await startPurser({ database });
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  (hasPostgres ? it : it.skip)(
    'should refuse the second of two parent changes that together would make a cycle',
    async () => {
      await createCenters(service, [{ code: 'CC-X' }, { code: 'CC-Y' }]);
      // Hold both rows so the two updates start their checks together once released.
      const holder = new Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(
          `SELECT code FROM cost_centers WHERE code IN ('CC-X', 'CC-Y') FOR UPDATE`,
        );
        const answers = Promise.all([
          service.graphql(UPDATE, { code: 'CC-X', input: { parentCode: 'CC-Y' } }),
          service.graphql(UPDATE, { code: 'CC-Y', input: { parentCode: 'CC-X' } }),
        ]);
        for (let waited = 0; waited < 200; waited += 1) {
          const { rows } = await holder.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          if (rows[0]!.waiting >= 2) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await holder.query('COMMIT');
        const results = await answers;
        expect(results.filter((result) => !result.errors)).toHaveLength(1);
        const refused = results.find((result) => result.errors)!;
        expect(refused.errors![0]!.message).toMatch(/would have a cycle/);
      } finally {
        await holder.end();
      }
      const tree = await service.graphql<{ costCenterTree: { code: string }[] }>(TREE);
      expect(tree.data!.costCenterTree).toHaveLength(1);
    },
  );
});
