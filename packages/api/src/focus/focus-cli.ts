import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { parseQueryFlags } from '../http/query-parameters';
import type { FocusExportService } from './focus-export.service';
import { parseFocusQuery, type FocusQuery } from './focus-query';
import { pipeChunks } from './focus.routes';

export const FOCUS_CLI_USAGE = `  export focus --from DAY --to DAY [--version 1.3|1.2] [--currency USD] [--out FILE]
                    the range's cost as a FOCUS CSV (days as 2026-11-01, to exclusive),
                    the same file GET /v1/exports/focus answers (default: stdout)
`;

/** A parsed `export focus` command line, or the problem with it. */
export type FocusArguments = { query: FocusQuery; out: string | null } | { problem: string };

const FLAGS: Record<string, string> = {
  '--from': 'from',
  '--to': 'to',
  '--version': 'version',
  '--currency': 'currency',
};

/** `--from 2026-11-01 --to 2026-12-01 [--version 1.3] [--currency USD] [--out FILE]`. */
export function parseFocusArguments(argv: readonly string[]): FocusArguments {
  return parseQueryFlags(argv, FLAGS, parseFocusQuery);
}

/** Writes the export to `out` (a file path, or null for `stdout`), chunk by chunk. */
export async function runFocusExport(
  focus: Pick<FocusExportService, 'csv'>,
  args: { query: FocusQuery; out: string | null },
  stdout: Writable = process.stdout,
): Promise<void> {
  const target = args.out === null ? stdout : createWriteStream(args.out);
  const complete = await pipeChunks(focus.csv(args.query), target);
  if (!complete) throw new Error('the output closed before the export was written');
  if (args.out !== null) {
    target.end();
    await finished(target);
  }
}
