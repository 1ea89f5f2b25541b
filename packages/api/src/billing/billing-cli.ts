import type { BillingSourceValue } from './billing-source.service';
import type { BillingSyncValue } from './billing-sync.service';
import { RESYNC_DAYS } from './billing-scheduler';

export const BILLING_CLI_USAGE = `  billing sync [--source ID] [--from DAY --to DAY]
                    pull the providers' cost lines of every API billing source (or one),
                    by default the last ${RESYNC_DAYS} days and today (days as 2026-11-01, to exclusive)
`;

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface BillingSyncArguments {
  sourceId: string | null;
  from: Date;
  to: Date;
}

function day(flag: string, value: string): Date | string {
  const parsed = new Date(`${value}T00:00:00Z`);
  if (
    !DAY.test(value) ||
    Number.isNaN(parsed.getTime()) ||
    !parsed.toISOString().startsWith(value)
  ) {
    return `${flag}: a UTC day such as 2026-11-01 (got ${JSON.stringify(value)})`;
  }
  return parsed;
}

/** `[--source ID] [--from DAY --to DAY]`; the default range is the scheduled sync's. */
export function parseBillingArguments(
  argv: readonly string[],
  now: Date = new Date(),
): BillingSyncArguments | { problem: string } {
  if (argv[0] !== 'sync') return { problem: `billing ${argv[0] ?? ''}: unknown (billing sync)` };
  const given: Record<string, string> = {};
  for (let index = 1; index < argv.length; index += 2) {
    const flag = argv[index]!;
    const value = argv[index + 1];
    if (!['--source', '--from', '--to'].includes(flag)) {
      return { problem: `${flag}: unknown option (known: --source, --from, --to)` };
    }
    if (value === undefined) return { problem: `${flag}: needs a value` };
    if (Object.hasOwn(given, flag)) return { problem: `${flag}: give it once` };
    given[flag] = value;
  }
  if ('--from' in given !== '--to' in given) return { problem: '--from and --to: give both' };
  let from: Date;
  let to: Date;
  if (given['--from'] !== undefined && given['--to'] !== undefined) {
    const parsedFrom = day('--from', given['--from']);
    const parsedTo = day('--to', given['--to']);
    if (typeof parsedFrom === 'string') return { problem: parsedFrom };
    if (typeof parsedTo === 'string') return { problem: parsedTo };
    if (parsedTo <= parsedFrom) return { problem: '--to: must be after --from' };
    from = parsedFrom;
    to = parsedTo;
  } else {
    to = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
    from = new Date(to.getTime() - (RESYNC_DAYS + 1) * DAY_MS);
  }
  return { sourceId: given['--source'] ?? null, from, to };
}

/**
 * Syncs the source named (or every API source with a key; one without is reported as
 * skipped); exit 0 when all succeeded, else 1.
 */
export async function runBillingSync(
  deps: {
    list: () => Promise<BillingSourceValue[]>;
    sync: (id: string, from: Date, to: Date) => Promise<BillingSyncValue>;
  },
  args: BillingSyncArguments,
  out: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  const sources = (await deps.list()).filter((source) =>
    args.sourceId === null ? source.provider !== 'focus' : source.id === args.sourceId,
  );
  if (args.sourceId !== null && sources.length === 0) {
    out.err(`billing source ${JSON.stringify(args.sourceId)} was not found\n`);
    return 1;
  }
  let failed = 0;
  for (const source of sources) {
    if (args.sourceId === null && !source.hasApiKey) {
      // As the scheduled sync: a source whose key was removed is not a failure of every run.
      out.out(`${source.name} (${source.provider}): skipped, no apiKey\n`);
      continue;
    }
    try {
      const result = await deps.sync(source.id, args.from, args.to);
      out.out(
        `${source.name} (${source.provider}): ${result.linesImported} imported, ${result.linesUnchanged} unchanged, ${result.linesRestated} restated\n`,
      );
    } catch (error) {
      failed += 1;
      out.err(
        `${source.name} (${source.provider}): ${(error as Error)?.message ?? String(error)}\n`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}
