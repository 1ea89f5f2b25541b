// What unit tests cannot catch: the committed packages/api/schema.graphql is the schema the
// service builds, so every API change shows in review (and clients generate from it).
import { readFileSync } from 'node:fs';
import { printedSchema, SCHEMA_FILE } from '@purser/api';

describe('the committed GraphQL schema', () => {
  it('should be what the code builds (run `pnpm schema:print` after an API change)', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await printedSchema());
  });
});
