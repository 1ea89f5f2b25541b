import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from './schema';

/** Where the printed schema is committed, so API changes show in review. */
export const SCHEMA_FILE = path.resolve(__dirname, '../schema.graphql');

/** The SDL of the built schema, types sorted by name so the file only moves when the API does. */
export async function printedSchema(): Promise<string> {
  const header =
    '# The GraphQL API of Purser, printed from the built schema by `pnpm schema:print`.\n' +
    '# Do not edit: CI fails when this file differs from the code (test/service/schema-file.test.ts).\n\n';
  return `${header}${printSchema(lexicographicSortSchema(await createSchema()))}\n`;
}

if (require.main === module) {
  printedSchema().then(
    (text) => {
      writeFileSync(SCHEMA_FILE, text);
      process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
