import type { z } from 'zod';

import { formatIssuePath, formatIssues } from './zod-issues';

/** Result of {@link parseJson}: the validated value or one clear reason. */
export type ParseJsonResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /**
       * `invalid_json`: not JSON at all; `invalid_utf8`: bytes that are not UTF-8; `schema`:
       * JSON of the wrong shape; `too_large`; `too_deep`: nested past `maxDepth`.
       */
      kind: 'invalid_json' | 'invalid_utf8' | 'schema' | 'too_large' | 'too_deep';
      /** One line naming the position or the field, suitable for a dead letter's reason. */
      message: string;
      /** Every schema issue, one line each (empty for `invalid_json`). */
      issues: string[];
      /** Zero-based character offset of a JSON syntax error (byte offset for UTF-8). */
      position?: number;
    };

/** Options of {@link parseJson}. */
export interface ParseJsonOptions {
  /** Reject bodies larger than this many bytes before parsing (default 1 MiB). */
  maxBytes?: number;
  /**
   * Reject text whose objects and arrays nest deeper than this, before parsing: JSON.parse
   * takes 400 ms to build the 500,000 levels a 1 MiB body can hold. Default: no limit.
   */
  maxDepth?: number;
}

/** Default of {@link ParseJsonOptions.maxBytes}: 1 MiB. */
export const DEFAULT_MAX_JSON_BYTES = 1024 * 1024;

/**
 * Strict UTF-8: bytes that are not UTF-8 are an error, never replaced with U+FFFD (the text
 * would then be stored as something the publisher did not send). A byte-order mark is kept,
 * so that JSON.parse refuses it as it always has.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a body: a string as is, bytes only when they are strict UTF-8; else undefined. */
export function strictUtf8Text(body: string | Uint8Array): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

/** Result of {@link readJson}: the parsed value, not validated. */
export type ReadJsonResult =
  | { ok: true; value: unknown; text: string }
  | (Extract<ParseJsonResult<never>, { ok: false }> & {
      kind: 'invalid_json' | 'invalid_utf8' | 'too_large' | 'too_deep';
    });

/**
 * Size limit, strict UTF-8 decoding and `JSON.parse`, each failure worded with where it is.
 * The value is not validated: see {@link parseJson}. Also answers the decoded text.
 */
export function readJson(
  text: string | Uint8Array,
  options: ParseJsonOptions = {},
): ReadJsonResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_JSON_BYTES;
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.byteLength;
  if (size > maxBytes) {
    return {
      ok: false,
      kind: 'too_large',
      message: `body is ${size} bytes, more than the limit of ${maxBytes}`,
      issues: [],
    };
  }
  const source = strictUtf8Text(text);
  if (source === undefined) {
    const bytes = text as Uint8Array; // a string is always text
    const position = firstInvalidUtf8Offset(bytes);
    return {
      ok: false,
      kind: 'invalid_utf8',
      message: `(body): not valid UTF-8 (invalid byte 0x${(bytes[position] ?? 0)
        .toString(16)
        .padStart(2, '0')} at byte ${position})`,
      issues: [],
      position,
    };
  }
  if (options.maxDepth !== undefined) {
    const deep = jsonTextDepthIssue(source, options.maxDepth);
    if (deep !== undefined) return { ok: false, kind: 'too_deep', message: deep, issues: [] };
  }
  try {
    return { ok: true, value: JSON.parse(source) as unknown, text: source };
  } catch (error) {
    const location = locateJsonSyntaxError(source);
    // V8 quotes a snippet of the text, which may hold control characters (a raw NUL): escaped.
    const detail = escapeControlCharacters(error instanceof Error ? error.message : String(error));
    return {
      ok: false,
      kind: 'invalid_json',
      message:
        `invalid JSON at line ${location.line}, column ${location.column} ` +
        `(position ${location.position}): ${location.problem} [${detail}]`,
      issues: [],
      position: location.position,
    };
  }
}

/** `text` with each control character (U+0000–U+001F) written as its `\uXXXX` escape. */
function escapeControlCharacters(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}

/**
 * The one way to read external JSON: parse, then validate with `schema`, never returning
 * unvalidated data. A syntax error names its line, column and offset.
 */
export function parseJson<S extends z.ZodType>(
  text: string | Uint8Array,
  schema: S,
  options: ParseJsonOptions = {},
): ParseJsonResult<z.output<S>> {
  const read = readJson(text, options);
  if (!read.ok) return read;
  const result = schema.safeParse(read.value, { reportInput: true });
  if (!result.success) {
    const issues = formatIssues(result.error);
    return { ok: false, kind: 'schema', message: issues.join('; '), issues };
  }
  return { ok: true, value: result.data };
}

/** `<top-level key>: nested more than <max> levels deep`, as a parsed value's walk words it. */
export function depthIssue(top: string | number | undefined, max: number): string {
  return `${formatIssuePath(top === undefined ? [] : [top])}: nested more than ${max} levels deep`;
}

/** Whether `text` holds more than `limit` of `{` and `[` together (counted by indexOf). */
function moreOpenersThan(text: string, limit: number): boolean {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let at = text.indexOf(opener); at !== -1; at = text.indexOf(opener, at + 1)) {
      count += 1;
      if (count > limit) return true;
    }
  }
  return false;
}

/**
 * Whether the objects and arrays of a JSON text nest deeper than `max`, found by one scan of
 * the text (strings skipped), named by the top-level key (or index) they are under; undefined
 * when they do not. A text with at most `max` openers cannot, and is not scanned.
 */
export function jsonTextDepthIssue(text: string, max: number): string | undefined {
  if (!moreOpenersThan(text, max)) return undefined;
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let rootIsObject = false;
  let expectKey = false;
  let top: string | number | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) {
        index += 1; // the escaped character
      } else if (code === 0x22) {
        inString = false;
        if (depth === 1 && rootIsObject && expectKey) {
          expectKey = false;
          const raw = text.slice(stringStart, index + 1);
          try {
            top = JSON.parse(raw) as string;
          } catch {
            top = raw.slice(1, -1);
          }
        }
      }
      continue;
    }
    if (code === 0x22) {
      inString = true;
      stringStart = index;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth === 1) {
        rootIsObject = code === 0x7b;
        expectKey = rootIsObject;
        top = rootIsObject ? undefined : 0;
      }
      if (depth > max) return depthIssue(top, max);
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    } else if (code === 0x2c && depth === 1) {
      if (rootIsObject) expectKey = true;
      else top = (top as number) + 1;
    }
  }
  return undefined;
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8 sequence (overlong
 * forms, surrogates and code points past U+10FFFF are not); the length when all do. Only
 * called once the decoder has refused the bytes.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let length: number;
    let min: number;
    let max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) length = 3;
    else if (lead >= 0xf0 && lead <= 0xf4) length = 4;
    else return index;
    // The second byte's range excludes overlong forms, surrogates and values past U+10FFFF.
    min = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    if (lead === 0xed) max = 0x9f;
    else if (lead === 0xf4) max = 0x8f;
    for (let offset = 1; offset < length; offset += 1) {
      const byte = bytes[index + offset];
      if (byte === undefined || byte < min || byte > max) return index;
      min = 0x80;
      max = 0xbf;
    }
    index += length;
  }
  return bytes.length;
}

/** Where and why a JSON text stops being valid. */
export interface JsonSyntaxErrorLocation {
  position: number;
  line: number;
  column: number;
  problem: string;
}

/** How deep {@link locateJsonSyntaxError} follows nesting (its scan recurses). */
const MAX_SCAN_DEPTH = 1000;

/**
 * Finds the first syntax error of a JSON text. Node 20's `JSON.parse` messages do not always
 * carry a position, and an operator reading a dead letter needs one. Only called on failure.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxErrorLocation {
  let index = 0;
  let depth = 0;
  const fail = (problem: string): never => {
    throw new JsonScanError(index, problem);
  };
  const skipWhitespace = (): void => {
    while (index < text.length && ' \t\n\r'.includes(text[index]!)) index += 1;
  };
  const expectLiteral = (literal: string): void => {
    for (const char of literal) {
      if (text[index] !== char) fail(`expected ${JSON.stringify(literal)}`);
      index += 1;
    }
  };
  const scanString = (): void => {
    index += 1; // opening quote
    while (index < text.length) {
      const char = text[index]!;
      if (char === '"') {
        index += 1;
        return;
      }
      if (char === '\\') {
        const escape = text[index + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) {
            index += 1;
            fail('invalid \\u escape');
          }
          index += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          index += 1;
          fail('invalid escape sequence');
        }
        index += 2;
        continue;
      }
      if (char.charCodeAt(0) < 0x20) fail('control character in string');
      index += 1;
    }
    fail('unterminated string');
  };
  const scanNumber = (): void => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(index));
    if (!match || match[0] === '' || match[0] === '-') fail('invalid number');
    index += match![0].length;
  };
  /** An object's members or an array's elements, each by `scanItem`, through `closer`. */
  const scanItems = (closer: '}' | ']', container: string, scanItem: () => void): void => {
    // Each level takes a few stack frames: past this depth the scan stops with an answer
    // instead of a RangeError (callers without a maxDepth reach here with any nesting).
    if (++depth > MAX_SCAN_DEPTH) fail(`nested more than ${MAX_SCAN_DEPTH} levels deep`);
    index += 1; // opening bracket
    skipWhitespace();
    if (text[index] === closer) {
      index += 1;
      depth -= 1;
      return;
    }
    for (;;) {
      scanItem();
      skipWhitespace();
      if (text[index] === ',') {
        index += 1;
        continue;
      }
      if (text[index] === closer) {
        index += 1;
        depth -= 1;
        return;
      }
      fail(`expected ',' or '${closer}' in ${container}`);
    }
  };
  const scanMember = (): void => {
    skipWhitespace();
    if (text[index] !== '"') fail('expected a property name in double quotes');
    scanString();
    skipWhitespace();
    if (text[index] !== ':') fail("expected ':' after a property name");
    index += 1;
    scanValue();
  };
  const scanValue = (): void => {
    skipWhitespace();
    const char = text[index];
    if (char === undefined) fail('unexpected end of input');
    if (char === '{') return scanItems('}', 'an object', scanMember);
    if (char === '[') return scanItems(']', 'an array', scanValue);
    if (char === '"') return scanString();
    if (char === 't') return expectLiteral('true');
    if (char === 'f') return expectLiteral('false');
    if (char === 'n') return expectLiteral('null');
    if (char === '-' || (char >= '0' && char <= '9')) return scanNumber();
    fail(`unexpected character ${JSON.stringify(char)}`);
  };

  let position = text.length;
  let problem = 'invalid JSON';
  try {
    // A leading byte-order mark is not JSON; JSON.parse rejects it too.
    scanValue();
    skipWhitespace();
    if (index < text.length) fail('unexpected data after the JSON value');
  } catch (error) {
    if (!(error instanceof JsonScanError)) throw error;
    position = error.position;
    problem = error.problem;
  }
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return { position, line, column, problem };
}

class JsonScanError extends Error {
  constructor(
    readonly position: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}
