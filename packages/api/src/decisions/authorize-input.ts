import type { AuthorizeRequest } from './authorize.service';

/** The largest token count a request may name (a Postgres integer). */
const MAX_TOKENS = 2 ** 31 - 1;

/**
 * Bounds of an authorize request's text, the same as a usage event's: provider, model,
 * attribution values and the virtual key at most 256 characters without control characters
 * (they name things; a NUL cannot even be stored); `metadata` a JSON object of at most
 * 16 KiB, nested 8 levels at most, without NUL in any key or string.
 */
const AUTHORIZE_INPUT_LIMITS = {
  maxTextLength: 256,
  maxMetadataBytes: 16 * 1024,
  maxMetadataDepth: 8,
} as const;

/** How a caller names the request's fields: the OPA input's snake_case, or GraphQL's camelCase. */
export type FieldNames = 'wire' | 'graphql';

const NAMES = {
  wire: {
    estimatedInputTokens: 'estimated_input_tokens',
    maxOutputTokens: 'max_output_tokens',
    virtualKey: 'virtual_key',
  },
  graphql: {
    estimatedInputTokens: 'estimatedInputTokens',
    maxOutputTokens: 'maxOutputTokens',
    virtualKey: 'virtualKey',
  },
} as const;

const GRAPHQL_ATTRIBUTION: Record<string, string> = {
  request_path: 'requestPath',
  virtual_key: 'virtualKey',
};

// C0 controls, DEL and C1 controls: never part of a name, and U+0000 cannot be stored.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `value` is not an acceptable name (provider, model, attribution value), or null. */
function textProblem(value: string): string | null {
  if (value.length > AUTHORIZE_INPUT_LIMITS.maxTextLength)
    return `must be at most ${AUTHORIZE_INPUT_LIMITS.maxTextLength} characters (got ${value.length})`;
  const control = CONTROL.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `must not contain control characters (U+${code} at position ${control.index})`;
  }
  return null;
}

/** A value of `metadata` still to be looked at; its path is spelled only to name a problem. */
interface MetadataVisit {
  value: unknown;
  key: string;
  parent: MetadataVisit | null;
  depth: number;
}

function pathOf(visit: MetadataVisit): string {
  const keys: string[] = [];
  for (let at: MetadataVisit | null = visit; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/**
 * Why `metadata` cannot be taken (too large, too deep, a NUL in a key or string), or null.
 * Walked without recursion, so no nesting can overflow the stack, and counted as it goes: a
 * value past the size bound is refused at once, so the walk is bounded by the limit, not by
 * the size of what was sent.
 */
function metadataProblem(metadata: Record<string, unknown>, prefix: string): string | null {
  const { maxMetadataBytes, maxMetadataDepth } = AUTHORIZE_INPUT_LIMITS;
  const tooLarge = `${prefix} must be at most ${maxMetadataBytes} bytes of JSON`;
  const stack: MetadataVisit[] = [{ value: metadata, key: prefix, parent: null, depth: 0 }];
  let size = 0;
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value, depth } = visit;
    if (typeof value === 'string') {
      size += value.length + 2;
      if (value.includes('\u0000'))
        return `${pathOf(visit)} must not contain U+0000 (at position ${value.indexOf('\u0000')})`;
    } else if (value !== null && typeof value === 'object') {
      if (depth >= maxMetadataDepth)
        return `${pathOf(visit)} is nested deeper than ${maxMetadataDepth} levels`;
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index += 1) {
          const key = String(index);
          size += key.length + 4;
          if (size > maxMetadataBytes) return tooLarge;
          stack.push({ value: value[index], key, parent: visit, depth: depth + 1 });
        }
      } else {
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          size += key.length + 4;
          if (size > maxMetadataBytes) return tooLarge;
          if (key.includes('\u0000')) return `${pathOf(visit)} has a key containing U+0000`;
          const item = (value as Record<string, unknown>)[key];
          stack.push({ value: item, key, parent: visit, depth: depth + 1 });
        }
      }
    } else {
      size += 8;
    }
    if (size > maxMetadataBytes) return tooLarge;
  }
  return null;
}

/**
 * Why an authorize request cannot be decided on — naming the field as the caller named it —
 * or null. Every decision answered is recorded, so what is answered must be storable.
 */
export function validateAuthorizeRequest(
  request: AuthorizeRequest,
  names: FieldNames = 'graphql',
): string | null {
  const named = NAMES[names];
  for (const field of ['provider', 'model'] as const) {
    const value = request[field];
    if (!value.trim()) return `${field} must not be empty`;
    const problem = textProblem(value);
    if (problem) return `${field} ${problem}`;
  }
  for (const [key, value] of Object.entries(request.attribution)) {
    if (typeof value !== 'string') continue;
    const problem = textProblem(value);
    const field = names === 'graphql' ? (GRAPHQL_ATTRIBUTION[key] ?? key) : key;
    if (problem) return `attribution.${field} ${problem}`;
  }
  if (request.virtualKey !== undefined) {
    const problem = textProblem(request.virtualKey);
    if (problem) return `${named.virtualKey} ${problem}`;
  }
  for (const [field, value] of [
    [named.estimatedInputTokens, request.estimatedInputTokens],
    [named.maxOutputTokens, request.maxOutputTokens],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_TOKENS)
      return `${field} must be a whole number between 0 and ${MAX_TOKENS} (got ${value})`;
  }
  if (request.metadata !== undefined) return metadataProblem(request.metadata, 'metadata');
  return null;
}
