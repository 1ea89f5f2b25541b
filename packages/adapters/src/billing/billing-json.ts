import { formatDecimal, Money } from '@purser/pricing';
import { z } from 'zod';

import { AdapterError } from '../errors';
import { readJson } from '../parse-json';
import { formatIssues } from '../zod-issues';

/** Nesting limit of a billing response: the documented shapes nest five levels. */
const MAX_BILLING_JSON_DEPTH = 32;

/**
 * The JSON text with every number literal outside a string written as a string holding its
 * exact source text (`6.209044` → `"6.209044"`), so that amounts never round through a
 * float. One linear pass, meant for text already known to be JSON (see
 * {@link readBillingJson}).
 */
export function quoteJsonNumbers(text: string): string {
  // String concatenation (a rope in V8) measured about twice as fast as joining an array.
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) {
      inString = true;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      let end = index + 1;
      while (end < text.length && isNumberCharacter(text.charCodeAt(end))) end += 1;
      out += `${text.slice(copiedUpTo, index)}"${text.slice(index, end)}"`;
      copiedUpTo = end;
      index = end - 1;
    }
  }
  return out + text.slice(copiedUpTo);
}

/** `0-9 e E + - .`: the characters of a JSON number literal. */
function isNumberCharacter(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    code === 0x65 ||
    code === 0x45 ||
    code === 0x2b ||
    code === 0x2d ||
    code === 0x2e
  );
}

/** Exact JSON number syntax (RFC 8259). */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** JSON number syntax with an exponent small enough to write out in full. */
function isBoundedDecimal(text: string): boolean {
  const match = JSON_NUMBER.exec(text);
  return match !== null && (match[3] === undefined || Math.abs(Number(match[3].slice(1))) <= 40);
}

/**
 * Reads a billing API body keeping each number's source text: a number becomes a string.
 * The text is checked as JSON first (size, depth, syntax, each failure worded with where
 * it is), so a malformed body is never made valid by the quoting. Throws
 * `INVALID_BILLING_RESPONSE` prefixed with `what`.
 */
export function readBillingJson(text: string, what: string): unknown {
  const read = readJson(text, {
    maxBytes: Number.POSITIVE_INFINITY,
    maxDepth: MAX_BILLING_JSON_DEPTH,
  });
  if (!read.ok) {
    throw new AdapterError({
      code: 'INVALID_BILLING_RESPONSE',
      message: `${what}: ${read.message}`,
    });
  }
  // Valid JSON with its number literals written as strings is valid JSON.
  return JSON.parse(quoteJsonNumbers(text)) as unknown;
}

/** Parses `value` with `schema` or throws `INVALID_BILLING_RESPONSE` naming every issue. */
export function parseBillingShape<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = formatIssues(result.error).slice(0, 5);
  throw new AdapterError({
    code: 'INVALID_BILLING_RESPONSE',
    message: `${what}: ${issues.join('; ')}`,
    details: { issues },
  });
}

/** One result of a report bucket: as received, where it stands, and as `schema` reads it. */
export interface BucketResult<Result> {
  raw: unknown;
  /** `<bucket>.results[<index>]`, for messages. */
  at: string;
  result: Result;
}

/** Each of a bucket's `results` parsed with `schema`, named by where it stands. */
export function parseBucketResults<S extends z.ZodType>(
  schema: S,
  results: readonly unknown[] | null | undefined,
  where: string,
): BucketResult<z.output<S>>[] {
  return (results ?? []).map((raw, index) => {
    const at = `${where}.results[${index}]`;
    return { raw, at, result: parseBillingShape(schema, raw, at) };
  });
}

/**
 * A JSON number (read as its source text by {@link readBillingJson}) or a decimal string,
 * as a plain decimal string without exponent (`"1e-7"` → `"0.0000001"`).
 */
export const jsonDecimal = z
  .string()
  .max(64)
  .refine((text) => isBoundedDecimal(text.trim()), {
    message: 'must be a decimal number (exponent within ±40)',
  })
  .transform((text) => formatDecimal(new Money(text.trim())));

/** A JSON integer (read as its source text) as a safe, non-negative JS number. */
export const jsonCount = z
  .string()
  .max(32)
  .refine((text) => /^(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text)), {
    message: 'must be a non-negative integer',
  })
  .transform(Number);

/** A JSON integer (read as its source text) as a JS number, negative allowed. */
export const jsonInteger = z
  .string()
  .max(32)
  .refine((text) => /^-?(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text)), {
    message: 'must be an integer',
  })
  .transform(Number);

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Whether `date` is exactly a UTC midnight. */
export function isUtcMidnight(date: Date): boolean {
  return date.getTime() % 86_400_000 === 0;
}

/**
 * The UTC day of a daily bucket starting at `start` (a valid date), warning when the start
 * is not a UTC midnight, so not a day bucket.
 */
export function bucketStartDay(start: Date, where: string, warnings: WarningList): string {
  if (!isUtcMidnight(start)) {
    warnings.add(
      `${where}: bucket starts at ${start.toISOString()}, not a UTC day; dated ${utcDay(start)}`,
    );
  }
  return utcDay(start);
}

/**
 * An amount's currency, upper-cased, when it is an ISO 4217 code; otherwise USD (what the
 * provider APIs bill in) with a warning naming the value found.
 */
export function currencyOrUsd(
  currency: string | null | undefined,
  at: string,
  warnings: WarningList,
): string {
  const code = currency?.trim().toUpperCase() ?? '';
  if (/^[A-Z]{3}$/.test(code)) return code;
  warnings.add(`${at}: currency ${JSON.stringify(currency ?? null)} is not ISO 4217; USD assumed`);
  return 'USD';
}

/** The named fields of a result that hold a non-empty string, in that order, as line dimensions. */
export function stringDimensions<Key extends string>(
  result: Partial<Record<Key, string | null>>,
  keys: readonly Key[],
): Record<string, string> {
  const dimensions: Record<string, string> = {};
  for (const key of keys) {
    const value = result[key];
    if (value) dimensions[key] = value;
  }
  return dimensions;
}

/** Collects warnings up to a bound, then counts the rest in one last line. */
export class WarningList {
  readonly items: string[] = [];
  private dropped = 0;

  constructor(private readonly max = 100) {}

  add(warning: string): void {
    if (this.items.length < this.max) this.items.push(warning);
    else this.dropped += 1;
  }

  /** The warnings, with a closing line counting the ones not kept. */
  toArray(): string[] {
    return this.dropped === 0
      ? [...this.items]
      : [...this.items, `… and ${this.dropped} more warning(s) not shown`];
  }
}
