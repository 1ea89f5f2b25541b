import { decimalRule, isDecimalString } from '@purser/pricing';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { ALLOCATION_METHODS, MATCH_KEYS } from './allocation-types';
import type { AllocationFile } from './allocation-yaml-check';
import { checkAllocationFile } from './allocation-yaml-check';
import { UNMATCHABLE_TAG } from './allocation-validate';

/**
 * Rules as code: the cost-center tree and the rule set as a YAML file kept in git
 * (`pnpm purser allocation export|plan|apply FILE`). This file reads one: every scalar is
 * read as the text written (`priority: 10`, `weight: 33.3333` stay exact; `null`, `~` or
 * nothing is null), then the shape is checked with zod and the meaning by
 * {@link checkAllocationFile}; every problem names its path (`rules[2].targets[0].costCenter`).
 */

/** Largest file read (bytes): a thousand cost centers and rules take well under 1 MiB. */
export const MAX_ALLOCATION_FILE_BYTES = 1024 * 1024;
/** Deepest nesting read: the format nests five levels (rules[].targets[].weight…). */
const MAX_DEPTH = 8;
/** Problems listed before "… and N more". */
export const MAX_PROBLEMS_LISTED = 50;

export type {
  AllocationFile,
  AllocationFileCostCenter,
  AllocationFileRule,
} from './allocation-yaml-check';

/** What reading a file answers: the file, or every problem found (each naming its path). */
export type AllocationFileResult =
  { ok: true; file: AllocationFile } | { ok: false; problems: string[] };

const CODE = /^[A-Za-z0-9_.-]+$/;
const code = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'at most 64 characters')
  .regex(CODE, 'letters, digits, "_", "." and "-" only');
const text = (max: number) =>
  z.string().min(1, 'must not be empty').max(max, `at most ${max} characters`);
const optionalText = (max: number) =>
  text(max)
    .nullish()
    .transform((value) => value ?? null);

const costCenterSchema = z.strictObject({
  code,
  name: text(200),
  parent: code.nullish().transform((value) => value ?? null),
  glAccount: optionalText(256),
  owner: optionalText(256),
  active: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => value !== 'false'),
});

const matchSchema = z.strictObject({
  ...Object.fromEntries(MATCH_KEYS.map((key) => [key, text(256).optional()])),
  tags: z.record(text(256), text(256)).optional(),
}) as z.ZodType<
  Partial<Record<(typeof MATCH_KEYS)[number], string>> & { tags?: Record<string, string> }
>;

const weightSchema = z
  .string()
  .refine((value) => isDecimalString(value), { message: `must be a decimal, ${decimalRule()}` });

const ruleSchema = z.strictObject({
  name: text(200),
  priority: z
    .string()
    .regex(/^\d{1,7}$/, 'must be a whole number from 0 to 1000000')
    .transform(Number)
    .refine((value) => value <= 1_000_000, { message: 'must be a whole number from 0 to 1000000' }),
  method: z.enum(ALLOCATION_METHODS, {
    error: `must be one of ${ALLOCATION_METHODS.join(', ')}`,
  }),
  match: matchSchema.nullish().transform((value) => value ?? {}),
  targets: z
    .array(z.strictObject({ costCenter: code, weight: weightSchema.optional() }))
    .min(1, 'at least one target')
    .max(100, 'at most 100 targets'),
});

const fileSchema = z.strictObject({
  version: z.literal('1', { error: 'must be 1 (the format version)' }),
  costCenters: z
    .array(costCenterSchema)
    .max(10_000, 'at most 10000 cost centers')
    .nullish()
    .transform((value) => value ?? []),
  rules: z
    .array(ruleSchema)
    .max(10_000, 'at most 10000 rules')
    .nullish()
    .transform((value) => value ?? []),
});

/** How a problem names the shape expected (every scalar is read as text). */
const EXPECTED: Record<string, string> = {
  string: 'text',
  object: 'a mapping (key: value lines)',
  array: 'a list (- item lines)',
  record: 'a mapping (key: value lines)',
};

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One step of a path: `.key`, `[2]`, or `["odd key"]` for a key a reader could misparse. */
function pathStep(part: PropertyKey, first: boolean): string {
  if (typeof part === 'number') return `[${part}]`;
  const key = String(part);
  if (!PLAIN_KEY.test(key)) return `[${JSON.stringify(key.slice(0, 64))}]`;
  return first ? key : `.${key}`;
}

/** `rules[2].targets[0].costCenter` (or `tags["a b"]`) from a zod path. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((part, index) => pathStep(part, index === 0)).join('');
}

/** The value at a zod issue's path in the data read (zod v4 issues do not carry it). */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** Reads a YAML node as plain data with every scalar as its written text (null for null). */
function plain(node: Node | null, depth: number, at: string, problems: string[]): unknown {
  if (node === null) return null;
  if (depth > MAX_DEPTH) {
    problems.push(`${at || 'file'}: nested deeper than ${MAX_DEPTH} levels`);
    return null;
  }
  if (isAlias(node)) {
    problems.push(`${at || 'file'}: anchors and aliases (*${node.source}) are not supported`);
    return null;
  }
  if (isScalar(node)) {
    if (node.value === null) return null;
    return node.source ?? String(node.value);
  }
  if (isSeq(node)) {
    return node.items.map((item, index) =>
      plain(item as Node | null, depth + 1, `${at}[${index}]`, problems),
    );
  }
  if (isMap(node)) {
    const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? (pair.key.source ?? String(pair.key.value)) : null;
      if (key === null) {
        problems.push(`${at || 'file'}: every key must be plain text`);
        continue;
      }
      if (key === '__proto__') {
        // zod skips such a key: a tag condition of that name would vanish without a word.
        problems.push(`${at + pathStep(key, !at)}: ${UNMATCHABLE_TAG}`);
        continue;
      }
      result[key] = plain(pair.value as Node | null, depth + 1, at + pathStep(key, !at), problems);
    }
    return result;
  }
  problems.push(`${at || 'file'}: unsupported YAML node`);
  return null;
}

function bounded(problems: string[]): string[] {
  return problems.length > MAX_PROBLEMS_LISTED
    ? [
        ...problems.slice(0, MAX_PROBLEMS_LISTED),
        `… and ${problems.length - MAX_PROBLEMS_LISTED} more problems`,
      ]
    : problems;
}

/** Reads an allocation file (its text); never throws on bad input. */
export function parseAllocationYaml(source: string): AllocationFileResult {
  if (Buffer.byteLength(source, 'utf8') > MAX_ALLOCATION_FILE_BYTES) {
    return {
      ok: false,
      problems: [`file: larger than the limit of ${MAX_ALLOCATION_FILE_BYTES} bytes`],
    };
  }
  const lineCounter = new LineCounter();
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    // A parser stack overflow on absurd nesting: bad input, not a crash.
    return { ok: false, problems: [`file: not readable as YAML (${(error as Error).message})`] };
  }
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: bounded(
        document.errors.map((error) => {
          const { line, col } = lineCounter.linePos(error.pos[0]);
          return `file: line ${line}, column ${col}: ${error.message.split('\n')[0]}`;
        }),
      ),
    };
  }
  const problems: string[] = [];
  const data = plain(document.contents as Node | null, 0, '', problems);
  if (problems.length > 0) return { ok: false, problems: bounded(problems) };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      problems: ['file: must be a mapping with version, costCenters and rules'],
    };
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      problems: bounded(
        parsed.error.issues.map((issue) => {
          const where = pathText(issue.path) || 'file';
          if (issue.code === 'unrecognized_keys') {
            return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
          }
          if (issue.code === 'invalid_type' && valueAt(data, issue.path) === undefined) {
            return `${where}: is required`;
          }
          if (issue.code === 'invalid_type') {
            return `${where}: must be ${EXPECTED[issue.expected] ?? issue.expected}`;
          }
          return `${where}: ${issue.message}`;
        }),
      ),
    };
  }
  const file: AllocationFile = parsed.data;
  const meaning = checkAllocationFile(file);
  return meaning.length > 0 ? { ok: false, problems: bounded(meaning) } : { ok: true, file };
}
