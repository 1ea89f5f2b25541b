import type { z } from 'zod';

import { formatIssues } from './zod-issues';

/** Result of {@link parseJson}: the validated value or one clear reason. */
export type ParseJsonResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** `invalid_json`: not JSON at all; `schema`: JSON of the wrong shape; `too_large`. */
      kind: 'invalid_json' | 'schema' | 'too_large';
      /** One line naming the position or the field, suitable for a dead letter's reason. */
      message: string;
      /** Every schema issue, one line each (empty for `invalid_json`). */
      issues: string[];
      /** Zero-based character offset of a JSON syntax error. */
      position?: number;
    };

/** Options of {@link parseJson}. */
export interface ParseJsonOptions {
  /** Reject bodies larger than this many bytes before parsing (default 1 MiB). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * The one way to read external JSON: parse, then validate with `schema`, never returning
 * unvalidated data. A syntax error names its line, column and offset.
 */
export function parseJson<S extends z.ZodType>(
  text: string | Uint8Array,
  schema: S,
  options: ParseJsonOptions = {},
): ParseJsonResult<z.output<S>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.byteLength;
  if (size > maxBytes) {
    return {
      ok: false,
      kind: 'too_large',
      message: `body is ${size} bytes, more than the limit of ${maxBytes}`,
      issues: [],
    };
  }
  const source = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    const location = locateJsonSyntaxError(source);
    const detail = error instanceof Error ? error.message : String(error);
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
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issues = formatIssues(result.error);
    return { ok: false, kind: 'schema', message: issues.join('; '), issues };
  }
  return { ok: true, value: result.data };
}

/** Where and why a JSON text stops being valid. */
export interface JsonSyntaxErrorLocation {
  position: number;
  line: number;
  column: number;
  problem: string;
}

/**
 * Finds the first syntax error of a JSON text. Node 20's `JSON.parse` messages do not always
 * carry a position, and an operator reading a dead letter needs one. Only called on failure.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxErrorLocation {
  let index = 0;
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
  const scanValue = (): void => {
    skipWhitespace();
    const char = text[index];
    if (char === undefined) fail('unexpected end of input');
    if (char === '{') {
      index += 1;
      skipWhitespace();
      if (text[index] === '}') {
        index += 1;
        return;
      }
      for (;;) {
        skipWhitespace();
        if (text[index] !== '"') fail('expected a property name in double quotes');
        scanString();
        skipWhitespace();
        if (text[index] !== ':') fail("expected ':' after a property name");
        index += 1;
        scanValue();
        skipWhitespace();
        if (text[index] === ',') {
          index += 1;
          continue;
        }
        if (text[index] === '}') {
          index += 1;
          return;
        }
        fail("expected ',' or '}' in an object");
      }
    }
    if (char === '[') {
      index += 1;
      skipWhitespace();
      if (text[index] === ']') {
        index += 1;
        return;
      }
      for (;;) {
        scanValue();
        skipWhitespace();
        if (text[index] === ',') {
          index += 1;
          continue;
        }
        if (text[index] === ']') {
          index += 1;
          return;
        }
        fail("expected ',' or ']' in an array");
      }
    }
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
