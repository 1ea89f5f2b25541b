import type { z } from 'zod';

const MAX_PREVIEW_LENGTH = 60;

/** `['usage', 'input_tokens']` → `usage.input_tokens`; odd keys and indexes use brackets. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else {
      out += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return out === '' ? '(root)' : out;
}

/** A short, log-safe rendering of an offending value for an error message. */
export function previewValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value);
  } else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    text = String(value);
  } else if (Array.isArray(value)) {
    text = `an array of ${value.length}`;
  } else if (typeof value === 'object') {
    text = 'an object';
  } else {
    text = typeof value;
  }
  return text.length > MAX_PREVIEW_LENGTH ? `${text.slice(0, MAX_PREVIEW_LENGTH - 1)}…` : text;
}

/**
 * One line per issue that names the field and what was received, e.g.
 * `usage.input_tokens: must be a non-negative integer (got -5)`. Parse with
 * `{ reportInput: true }` so that issues carry the offending input.
 */
export function formatIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): string {
  const path = formatIssuePath([...prefix, ...issue.path]);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && input === undefined) {
    return `${path}: required`;
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return input === undefined
    ? `${path}: ${message}`
    : `${path}: ${message} (got ${previewValue(input)})`;
}

/** All issues of a failed parse, most relevant first (zod reports them in document order). */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => formatIssue(issue, prefix));
}
